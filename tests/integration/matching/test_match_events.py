"""Events in, matches out: companies and proposals events build the read models, and every
list change leaves on the matches topic with its score, factors and reasons."""

from typing import Any

from aiohttp.test_utils import TestClient

from services.matching.keys import MATCHES
from shared.contracts.companies import CompanySuspended, CompanyUpdated
from shared.contracts.proposals import ProposalStatusChanged
from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.matching.conftest import (
    Publisher,
    add_city,
    company,
    exactly,
    matches_of,
    proposal,
    register,
    submit,
)
from tests.support import Caller, eventually, read_topic


async def match_events(settings: ServiceSettings, count: int) -> list[Envelope]:
    topic = Topics(settings.topic_prefix).of("matches")
    return [Envelope.from_bytes(r.value) for r in await read_topic(settings, topic, count)]


class TestEventsInMatchesOut:
    async def test_a_submitted_proposal_gets_an_explained_match(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        settings: ServiceSettings,
    ) -> None:
        water, need = company(), proposal()
        await add_city(publish)
        await register(publish, water)
        await submit(publish, need)

        [match] = await eventually(lambda: matches_of(admin, need.proposal_id))
        assert match["company_id"] == water.company_id and match["status"] == "proposed"
        factors = {factor["factor"]: factor for factor in match["factors"]}
        assert factors["tag_overlap"]["evidence"] == ["tag water_supply"]
        assert (
            "reference 'Non-revenue water reduction feasibility study' in VN"
            in (factors["country_experience"]["evidence"])
        )
        assert match["company_contact"] is None and match["city_contact"] is None
        [event] = await match_events(settings, 1)
        assert event.type == "jamp.match.proposed.v1"
        assert event.data["match"]["score"] == match["score"]

    async def test_a_redelivered_event_changes_nothing(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        settings: ServiceSettings,
    ) -> None:
        need = proposal()
        await register(publish, company())
        submitted = await submit(publish, need)
        await eventually(lambda: matches_of(admin, need.proposal_id))
        await publish.resend(submitted, "proposals")
        marker = proposal()
        await submit(publish, marker)  # after the redelivery on the same topic
        await eventually(lambda: matches_of(admin, marker.proposal_id))

        events = await match_events(settings, 2)
        assert [e.type for e in events] == ["jamp.match.proposed.v1"] * 2
        stored = await matching.app[MATCHES].of_proposal(need.proposal_id)
        assert len(stored) == 1 and stored[0].version == 1


class TestRescoring:
    async def test_a_new_tag_rescores_the_companys_match_and_says_why(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        settings: ServiceSettings,
    ) -> None:
        water, need = company(), proposal()
        await register(publish, water)
        await submit(publish, need)
        [before] = await eventually(lambda: matches_of(admin, need.proposal_id))
        tags = ["water_supply", "wastewater", "flood_control"]
        await publish.send(
            water.company_id,
            CompanyUpdated(company_id=water.company_id, version=2, changes={"tags": tags}),
        )

        async def rescored() -> Any:
            found = await matches_of(admin, need.proposal_id)
            return found and found[0]["version"] == 2 and found[0]

        after = await rescored_match(rescored)
        assert after["score"] > before["score"]
        events = await match_events(settings, 2)
        updated = events[1]
        assert updated.type == "jamp.match.updated.v1"
        assert "company added tag flood_control" in updated.data["changes"]
        assert any(change.startswith("tag_overlap ") for change in updated.data["changes"])
        assert updated.data["previous_score"] == before["score"]


async def rescored_match(probe: Any) -> Any:
    return await eventually(probe)


class TestVetoes:
    async def test_a_suspended_company_is_withdrawn_and_the_next_one_moves_up(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        settings: ServiceSettings,
    ) -> None:
        strong = company(tags=["water_supply", "flood_control"])
        weaker = company(tags=["water_supply"], name_en="Second Water")
        need = proposal()
        await register(publish, strong)
        await register(publish, weaker)
        await submit(publish, need)
        await eventually(lambda: exactly(admin, need.proposal_id, 2))
        await publish.send(
            strong.company_id,
            CompanySuspended(company_id=strong.company_id, version=2, by="admin", reason="fraud"),
        )

        [left] = await eventually(lambda: exactly(admin, need.proposal_id, 1, "proposed"))
        assert left["company_id"] == weaker.company_id

        async def withdrawals() -> list[Envelope]:
            # The list changes in the consumer's transaction; its events reach the topic a
            # moment later, through the relay, so poll the topic rather than read it once.
            events = await match_events(settings, 3)
            return [e for e in events if e.type == "jamp.match.withdrawn.v1"]

        withdrawn = await eventually(withdrawals)
        assert withdrawn[0].data["company_id"] == strong.company_id
        assert withdrawn[0].data["reason"] == "company suspended"

    async def test_a_closed_proposal_withdraws_its_open_matches(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        need = proposal()
        await register(publish, company())
        await submit(publish, need)
        await eventually(lambda: matches_of(admin, need.proposal_id))
        closed = ProposalStatusChanged(
            proposal_id=need.proposal_id,
            version=3,
            from_status="submitted",
            to_status="withdrawn",
            by="city:da-nang",
        )
        await publish.send(need.proposal_id, closed)
        await eventually(lambda: matches_of(admin, need.proposal_id, "withdrawn"))
