"""Every record of every topic is indexed: the tail, event details and traces read it."""

from typing import Any

from aiohttp.test_utils import TestClient
from aiokafka import AIOKafkaProducer

from services.monitor.events import handlers
from services.monitor.events.model import EventQuery, RawRecord
from services.monitor.events.repository import search_criteria
from services.monitor.keys import HUB, INDEX, LETTERS
from shared.contracts.companies import CompanyVerified
from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics, dead_letter_topic
from tests.integration.test_companies_api import registration
from tests.support import Caller, eventually


async def register(companies: TestClient[Any, Any], correlation: str = "") -> str:
    headers = {"X-Correlation-ID": correlation} if correlation else {}
    response = await companies.post("/companies", json=registration(), headers=headers)
    assert response.status == 201
    company_id: str = (await response.json())["company"]["company_id"]
    return company_id


async def events_of(caller: Caller, **filters: str) -> list[dict[str, Any]]:
    response = await caller.get("/api/events", **filters)
    assert response.status == 200
    items: list[dict[str, Any]] = (await response.json())["items"]
    return items


async def test_a_published_event_is_listed_with_its_envelope_attributes(
    client: TestClient[Any, Any], operator: Caller
) -> None:
    company_id = await register(client, "corr-index")

    [event] = await eventually(lambda: events_of(operator, subject=company_id))
    assert event["type"] == "jamp.company.registered.v1"
    assert event["source"] == "companies" and event["correlation_id"] == "corr-index"
    assert event["topic"].endswith(".companies.v1")
    assert event["headers"]["ce_type"] == "jamp.company.registered.v1"
    assert company_id in event["refs"]


async def test_contact_details_are_masked_for_operators_but_not_for_admins(
    client: TestClient[Any, Any], operator: Caller, admin: Caller
) -> None:
    company_id = await register(client)
    [listed] = await eventually(lambda: events_of(operator, subject=company_id))

    seen_by_operator = await (await operator.get(f"/api/events/{listed['id']}")).json()
    seen_by_admin = await (await admin.get(f"/api/events/{listed['id']}")).json()
    assert seen_by_operator["data"]["company"]["contact"] == {
        "name": "***", "email": "***", "phone": None, "title": None
    }  # fmt: skip
    assert seen_by_admin["data"]["company"]["contact"]["email"] == "sato@example.co.jp"
    assert listed["data"]["company"]["contact"]["email"] == "***"


async def test_free_text_finds_events_but_never_by_contact_details(
    client: TestClient[Any, Any], operator: Caller
) -> None:
    company_id = await register(client)
    await eventually(lambda: events_of(operator, subject=company_id))

    assert await events_of(operator, q="KAIYO water", type="jamp.company.registered.v1")
    assert not await events_of(operator, q="sato@example")


async def test_free_text_finds_a_company_by_its_name_and_id_but_not_by_its_statement(
    client: TestClient[Any, Any], operator: Caller
) -> None:
    company_id = await register(client)
    await eventually(lambda: events_of(operator, subject=company_id))

    # "Design and operation of ... networks ... for fast-growing cities": prose, not indexed
    assert not await events_of(operator, q="networks fast growing", subject=company_id)
    assert await events_of(operator, q=f"{company_id} Kaiyo 海洋水道", subject=company_id)


async def test_free_text_is_a_lookup_of_whole_words_in_the_terms_index(
    client: TestClient[Any, Any], operator: Caller
) -> None:
    company_id = await register(client)
    await eventually(lambda: events_of(operator, subject=company_id))

    [found] = await events_of(operator, q="water supply KAIYO")
    assert found["subject"] == company_id and not await events_of(operator, q="kaiy")
    criteria = search_criteria(EventQuery(q="Water supply"), None)
    assert criteria == {"terms": {"$all": ["supply", "water"]}}  # index keys, no regex


async def test_filters_combine_by_topic_and_type(
    client: TestClient[Any, Any], operator: Caller, settings: ServiceSettings
) -> None:
    await register(client)
    identity = Topics(settings.topic_prefix).of("identity")
    keys = await eventually(lambda: events_of(operator, topic=identity))

    assert {event["type"] for event in keys} == {"jamp.apikey.issued.v1"}
    assert not await events_of(operator, topic=identity, type="jamp.company.registered.v1")


async def test_a_record_that_is_no_event_is_indexed_with_the_reason(
    producer: AIOKafkaProducer, operator: Caller, settings: ServiceSettings
) -> None:
    topic = Topics(settings.topic_prefix).of("companies")
    await producer.send_and_wait(topic, value=b"\xffnot json", key=b"junk")

    [event] = await eventually(lambda: events_of(operator, topic=topic))
    assert event["envelope_error"] == "not JSON" and event["key"] == "junk"
    assert event["type"] is None


async def test_the_list_pages_newest_first(client: TestClient[Any, Any], operator: Caller) -> None:
    for _ in range(3):
        await register(client)
    await eventually(lambda: _count(operator, 6))
    first = await (await operator.get("/api/events", limit="4")).json()
    second = await (
        await operator.get("/api/events", limit="4", cursor=first["next_cursor"])
    ).json()

    assert len(first["items"]) == 4 and len(second["items"]) == 2
    seqs = [event["seq"] for event in first["items"] + second["items"]]
    assert seqs == sorted(seqs, reverse=True)


async def _count(caller: Caller, at_least: int) -> bool:
    return len(await events_of(caller, limit="100")) >= at_least


async def test_a_trace_follows_one_company_across_topics_in_order(
    client: TestClient[Any, Any], operator: Caller
) -> None:
    company_id = await register(client, "corr-trace")

    async def traced() -> list[dict[str, Any]] | None:
        body = await (await operator.get(f"/api/trace/{company_id}")).json()
        return body["events"] if len(body["events"]) == 2 else None

    events = await eventually(traced)
    assert [event["type"] for event in events] == [
        "jamp.company.registered.v1", "jamp.apikey.issued.v1"
    ]  # fmt: skip
    assert {event["source"] for event in events} == {"companies"}
    by_correlation = await (await operator.get("/api/trace/corr-trace")).json()
    assert [e["id"] for e in by_correlation["events"]] == [e["id"] for e in events]


async def test_unknown_events_are_404(operator: Caller) -> None:
    response = await operator.get("/api/events/nope:0:0")
    assert response.status == 404


async def test_records_at_a_place_that_a_restarted_broker_reuses_are_all_kept(
    monitor: TestClient[Any, Any], operator: Caller, settings: ServiceSettings
) -> None:
    # A broker that came back empty starts every partition at offset 0 again: the records
    # written there before and after are different records at the same topic:0:0.
    topic = Topics(settings.topic_prefix).of("companies")
    before, after = (verified(company) for company in ("c-before", "c-after"))
    await index(monitor, topic, before.to_bytes(), 1_000, before.kafka_headers())
    await index(monitor, topic, b"junk", 1_500)
    await index(monitor, topic, after.to_bytes(), 2_000, after.kafka_headers())
    await index(monitor, topic, b"junk", 2_500)
    dlq = dead_letter_topic(topic)
    for group in ("matching-before", "matching-after"):
        await index(
            monitor, dlq, before.to_bytes(), 3_000, [("dlq.consumer_group", group.encode())]
        )

    found = await events_of(operator, topic=topic)
    assert len(found) == 4 and {event["offset"] for event in found} == {0}
    assert {event["subject"] for event in found} == {"c-before", "c-after", None}
    letters = (await (await operator.get("/api/dead-letters")).json())["items"]
    assert sorted(letter["consumer_group"] for letter in letters) == [
        "matching-after", "matching-before"
    ]  # fmt: skip


async def test_the_same_record_read_twice_is_indexed_once(
    monitor: TestClient[Any, Any], operator: Caller, settings: ServiceSettings
) -> None:
    topic = Topics(settings.topic_prefix).of("companies")
    event = verified("c-1")
    for _ in range(2):
        await index(monitor, topic, event.to_bytes(), 1_000, event.kafka_headers())
    assert len(await events_of(operator, topic=topic)) == 1


def verified(company_id: str) -> Envelope:
    payload = CompanyVerified(company_id=company_id, version=2, by="admin")
    return Envelope.wrap(payload, source="companies", subject=company_id)


async def index(
    monitor: TestClient[Any, Any],
    topic: str,
    value: bytes,
    timestamp_ms: int,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    """Hand a record at topic:0:0 to the monitor exactly as its tail does."""
    raw = RawRecord(topic=topic, partition=0, offset=0, timestamp_ms=timestamp_ms, key=b"k",
                    value=value, headers=headers or [])  # fmt: skip
    app = monitor.app
    await handlers.record([raw], index=app[INDEX], letters=app[LETTERS], hub=app[HUB])
