"""Operators never read contact details in the monitor, wherever a record hides them;
nobody reads an API key's hash."""

from typing import Any

import orjson
from aiohttp.test_utils import TestClient
from aiokafka import AIOKafkaProducer

from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics, dead_letter_topic
from tests.integration.monitor.records import dead_letter, key_issued
from tests.integration.monitor.test_event_index import events_of, register
from tests.support import Caller, eventually, read_topic

EMAIL, PHONE = "sato@example.co.jp", "+84 236 3822 123"


async def test_a_body_that_is_no_json_and_its_headers_are_masked_for_operators(
    producer: AIOKafkaProducer, operator: Caller, admin: Caller, settings: ServiceSettings
) -> None:
    topic = Topics(settings.topic_prefix).of("inquiries")
    body = f"requester Sato <{EMAIL}>, {PHONE}".encode()
    await producer.send_and_wait(topic, value=body, key=b"i-1", headers=[("reply-to", b"s@x.jp")])
    [listed] = await eventually(lambda: events_of(operator, topic=topic))

    by_operator = await (await operator.get(f"/api/events/{listed['id']}")).json()
    by_admin = await (await admin.get(f"/api/events/{listed['id']}")).json()
    assert by_operator["raw"] == "requester Sato <***>, ***"
    assert by_operator["headers"] == {"reply-to": "***"} and listed["raw"] == by_operator["raw"]
    assert by_admin["raw"] == body.decode() and by_admin["headers"] == {"reply-to": "s@x.jp"}


async def test_a_dead_letters_error_text_headers_and_body_are_masked_for_operators(
    producer: AIOKafkaProducer, operator: Caller, admin: Caller, settings: ServiceSettings
) -> None:
    identity = Topics(settings.topic_prefix).of("identity")
    _, envelope = key_issued(settings)
    failure = ValueError(f"no person {EMAIL} at {PHONE}")
    await dead_letter(producer, identity, envelope, "g", failure)

    async def letter_of(caller: Caller) -> dict[str, Any] | None:
        items = (await (await caller.get("/api/dead-letters")).json())["items"]
        return items[0] if items else None

    by_operator, by_admin = await eventually(lambda: letter_of(operator)), await letter_of(admin)
    assert by_operator["error"] == "ValueError: no person *** at ***"
    assert by_admin is not None and by_admin["error"] == f"ValueError: no person {EMAIL} at {PHONE}"
    one = await (await operator.get(f"/api/dead-letters/{by_operator['id']}")).json()
    assert one["error"] == by_operator["error"]


async def test_nobody_is_shown_an_api_keys_hash(
    client: TestClient[Any, Any], admin: Caller, settings: ServiceSettings
) -> None:
    await register(client)
    identity = Topics(settings.topic_prefix).of("identity")
    [record] = await read_topic(settings, identity, 1)
    key_hash = orjson.loads(record.value)["data"]["key_hash"]

    [event] = await eventually(lambda: events_of(admin, topic=identity))
    assert event["data"]["key_hash"] == "***"
    shown = await (await admin.get(f"/api/events/{event['id']}")).text()
    trace = await (await admin.get(f"/api/trace/{event['subject']}")).text()
    assert key_hash not in shown and key_hash not in trace
    assert not await events_of(admin, q=key_hash)


async def test_a_subject_or_correlation_id_naming_a_person_is_masked_and_not_searchable(
    producer: AIOKafkaProducer, operator: Caller, admin: Caller, settings: ServiceSettings
) -> None:
    # Whoever writes a record chooses its envelope: here an address as its subject.
    topic = Topics(settings.topic_prefix).of("identity")
    _, envelope = key_issued(settings)
    envelope = envelope.model_copy(update={"subject": EMAIL, "correlationid": PHONE})
    await producer.send_and_wait(topic, value=envelope.to_bytes(), key=b"k")
    [listed] = await eventually(lambda: events_of(operator, topic=topic))

    assert (listed["subject"], listed["correlation_id"]) == ("***", "***")
    shown = await (await admin.get(f"/api/events/{listed['id']}")).json()
    assert (shown["subject"], shown["correlation_id"]) == (EMAIL, PHONE)
    assert await events_of(operator, q=EMAIL) == []
    assert await events_of(admin, q="sato") == []


async def test_a_discard_reason_naming_a_person_is_masked_for_operators_in_letter_and_audit(
    producer: AIOKafkaProducer, operator: Caller, admin: Caller, settings: ServiceSettings
) -> None:
    identity = Topics(settings.topic_prefix).of("identity")
    await dead_letter(producer, identity, key_issued(settings)[1], "g", ValueError("x"))
    [letter] = await eventually(lambda: _letters(operator))
    reason = f"test key of {EMAIL}, call {PHONE}"
    path = f"/api/dead-letters/{letter['id']}"
    assert (await admin.post(f"{path}/discard", {"reason": reason})).status == 204

    by_operator = await (await operator.get(path)).json()
    assert by_operator["discarded_reason"] == "test key of ***, call ***"
    assert (await (await admin.get(path)).json())["discarded_reason"] == reason
    [entry] = (await (await operator.get("/api/audit")).json())["items"]
    assert EMAIL not in orjson.dumps(entry).decode() and PHONE not in orjson.dumps(entry).decode()
    [full] = (await (await admin.get("/api/audit")).json())["items"]
    assert reason in orjson.dumps(full).decode()


async def _letters(caller: Caller) -> list[dict[str, Any]] | None:
    items: list[dict[str, Any]] = (await (await caller.get("/api/dead-letters")).json())["items"]
    return items or None


def chosen_by_writer() -> Envelope:
    """An envelope whose id reads as a phone number and whose type, source and payload
    reference are an address: a record's writer chooses all of them."""
    return Envelope.model_validate(
        {"id": "090-1234-5678", "source": EMAIL, "type": EMAIL, "subject": "s1",
         "correlationid": "c1", "traceparent": "t", "data": {"owner_id": EMAIL}}
    )  # fmt: skip


async def test_an_events_id_type_source_references_and_header_names_are_masked_for_operators(
    producer: AIOKafkaProducer, operator: Caller, admin: Caller, settings: ServiceSettings
) -> None:
    topic = Topics(settings.topic_prefix).of("proposals")
    envelope = chosen_by_writer()
    headers = [*envelope.kafka_headers(), (EMAIL, b"v")]
    await producer.send_and_wait(topic, value=envelope.to_bytes(), key=b"k", headers=headers)
    [listed] = await eventually(lambda: events_of(operator, topic=topic))

    assert (listed["event_id"], listed["type"], listed["source"]) == ("***", "***", "***")
    assert listed["refs"] == ["***"] and EMAIL not in listed["headers"]
    shown = await (await operator.get(f"/api/events/{listed['id']}")).text()
    trace = await (await operator.get("/api/trace/c1")).text()
    assert "5678" not in listed["id"] and EMAIL not in shown and EMAIL not in trace
    by_admin = await (await admin.get(f"/api/events/{listed['id']}")).json()
    assert (by_admin["event_id"], by_admin["refs"]) == ("090-1234-5678", [EMAIL])
    assert by_admin["headers"][EMAIL] == "v"


async def test_an_operator_finds_no_record_by_an_address_it_names(
    producer: AIOKafkaProducer, operator: Caller, admin: Caller, settings: ServiceSettings
) -> None:
    topic = Topics(settings.topic_prefix).of("proposals")
    await producer.send_and_wait(topic, value=chosen_by_writer().to_bytes(), key=b"k")
    await eventually(lambda: events_of(admin, topic=topic))

    assert await events_of(operator, q="sato") == [] and await events_of(admin, q="sato") == []
    assert await events_of(operator, type=EMAIL) == []
    assert len(await events_of(admin, type=EMAIL)) == 1
    assert (await (await operator.get(f"/api/trace/{EMAIL}")).json())["events"] == []
    assert len((await (await admin.get(f"/api/trace/{EMAIL}")).json())["events"]) == 1


async def test_a_dead_letters_type_id_header_names_and_refusals_are_masked_for_operators(
    producer: AIOKafkaProducer, operator: Caller, admin: Caller, settings: ServiceSettings
) -> None:
    dlq = dead_letter_topic(Topics(settings.topic_prefix).of("proposals"))
    envelope = chosen_by_writer()
    failure = [(EMAIL, b"v"), ("dlq.error", b"x"), ("dlq.consumer_group", b"g")]
    headers = [*envelope.kafka_headers(), *failure]
    await producer.send_and_wait(dlq, value=envelope.to_bytes(), key=b"k", headers=headers)
    [letter] = await eventually(lambda: _letters(operator))
    assert (letter["event_type"], letter["event_id"]) == ("***", "***")
    assert "5678" not in letter["id"] and EMAIL not in orjson.dumps(letter).decode()
    by_admin = await (await admin.get(f"/api/dead-letters/{letter['id']}")).json()
    assert by_admin["event_type"] == EMAIL and by_admin["headers"][EMAIL] == "v"

    path = f"/api/dead-letters/{letter['id']}/replay"
    refused = await operator.post(path)
    assert refused.status == 409 and EMAIL not in (await refused.json())["detail"]
    many = await (await operator.post("/api/dead-letters/replay", {"ids": [letter["id"]]})).json()
    assert "***" in many["outcomes"][0]["error"] and EMAIL not in many["outcomes"][0]["error"]
    assert EMAIL in (await (await admin.post(path)).json())["detail"]
