"""Partner-search inquiries receive matches from the matches topic, once per match."""

from collections.abc import Callable
from functools import partial
from typing import Any

from aiohttp.test_utils import TestClient
from aiokafka import AIOKafkaProducer

from shared.contracts import EventPayload
from shared.contracts.matching import (
    MatchFactor,
    MatchProposed,
    MatchSummary,
    MatchUpdated,
    MatchWithdrawn,
)
from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.inquiries.conftest import history_types, known_proposal, submitted
from tests.support import Caller, eventually


def _match(score: float = 0.8, version: int = 1, proposal_id: str = "p-1") -> MatchSummary:
    return MatchSummary(
        match_id=f"m-{proposal_id}",
        proposal_id=proposal_id,
        company_id="c-42",
        company_name="Kaiyo Water Engineering",
        city_id="da-nang",
        country="VN",
        focus_areas=["safety_security"],
        tags=["flood_control"],
        score=score,
        rank=1,
        factors=[MatchFactor(factor="tag_overlap", contribution=0.5, evidence=["flood_control"])],
        version=version,
    )


async def _send(settings: ServiceSettings, *payloads: EventPayload | Envelope) -> list[Envelope]:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    sent = []
    try:
        for payload in payloads:
            envelope = (
                payload
                if isinstance(payload, Envelope)
                else Envelope.wrap(payload, source="matching", subject="m")
            )
            await producer.send_and_wait(
                Topics(settings.topic_prefix).of("matches"),
                envelope.to_bytes(),
                key=envelope.subject.encode(),
                headers=envelope.kafka_headers(),
            )
            sent.append(envelope)
    finally:
        await producer.stop()
    return sent


async def _suggestions(caller: Caller, inquiry_id: str) -> list[dict[str, Any]]:
    body = await (await caller.get(f"/inquiries/{inquiry_id}/suggestions")).json()
    items: list[dict[str, Any]] = body["items"]
    return items


class TestSuggestions:
    async def test_a_match_for_the_linked_proposal_is_attached_once_under_redelivery(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller, settings: ServiceSettings
    ) -> None:
        await known_proposal(inquiries, "p-1")
        asked = await submitted(vn_desk, category="partner_search", proposal_id="p-1")
        other = await submitted(vn_desk, category="financing", proposal_id="p-1")
        [envelope] = await _send(settings, MatchProposed(match=_match()))
        await _send(settings, envelope, MatchProposed(match=_match()))  # redelivery, repeat
        found = await eventually(lambda: _suggestions(vn_desk, asked["inquiry_id"]))
        assert [(s["company_id"], s["score"]) for s in found] == [("c-42", 0.8)]
        assert found[0]["reasons"] == ["tag_overlap: flood_control"]
        assert await _suggestions(vn_desk, other["inquiry_id"]) == []
        await _send(settings, MatchUpdated(match=_match(0.9, 2), previous_score=0.8, changes=[]))
        updated = await eventually(
            lambda: _updated(vn_desk, asked["inquiry_id"], lambda s: s["score"] == 0.9)
        )
        assert len(updated) == 1
        history = await history_types(vn_desk, asked["inquiry_id"])
        assert history.count("suggestion_added") == 1

    async def test_a_match_in_the_inquirys_country_and_focus_area_is_attached(
        self, vn_desk: Caller, settings: ServiceSettings
    ) -> None:
        asked = await submitted(vn_desk, category="partner_search", focus_areas=["safety_security"])
        await _send(settings, MatchProposed(match=_match(proposal_id="p-9")))
        await eventually(lambda: _suggestions(vn_desk, asked["inquiry_id"]))
        withdrawn = MatchWithdrawn(
            match_id="m-p-9", proposal_id="p-9", company_id="c-42", reason="vetoed"
        )
        await _send(settings, withdrawn)
        await eventually(lambda: _updated(vn_desk, asked["inquiry_id"], lambda s: s["withdrawn"]))

    async def test_a_run_of_match_events_leaves_each_inquiry_the_newest_version_once(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller, settings: ServiceSettings
    ) -> None:
        await known_proposal(inquiries, "p-7")
        asked = [
            (await submitted(vn_desk, category="partner_search", proposal_id="p-7"))["inquiry_id"]
            for _ in range(4)
        ]
        first = MatchProposed(match=_match(0.5, 1, proposal_id="p-7"))
        newer = MatchUpdated(match=_match(0.7, 3, "p-7"), previous_score=0.6, changes=[])
        older = MatchUpdated(match=_match(0.6, 2, "p-7"), previous_score=0.5, changes=[])
        # Back to back on one partition, so that they may share one transaction; the older
        # version arrives last and must change nothing.
        await _send(settings, first, newer, older, first)
        for inquiry_id in asked:
            found = await eventually(partial(_updated, vn_desk, inquiry_id, _scored(0.7)))
            assert len(found) == 1 and found[0]["version"] == 3
            assert (await history_types(vn_desk, inquiry_id)).count("suggestion_added") == 1


def _scored(score: float) -> Callable[[dict[str, Any]], bool]:
    return lambda suggestion: bool(suggestion["score"] == score)


async def _updated(caller: Caller, inquiry_id: str, wanted: Any) -> list[dict[str, Any]] | None:
    found = await _suggestions(caller, inquiry_id)
    return found if found and all(wanted(s) for s in found) else None
