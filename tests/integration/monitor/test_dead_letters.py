"""Dead letters: listed with their failure, dry-run, replayed, discarded, all audited."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from aiokafka import AIOKafkaProducer, ConsumerRecord

from shared.auth import Role
from shared.dead_letters import dead_letter_headers
from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics, dead_letter_topic
from tests.integration.monitor.records import broken_key_event, dead_letter, key_issued
from tests.support import Caller, eventually, read_topic


async def letters_of(caller: Caller, **filters: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await (await caller.get("/api/dead-letters", **filters)).json())[
        "items"
    ]
    return items


async def one_letter(caller: Caller) -> dict[str, Any]:
    [letter] = await eventually(lambda: letters_of(caller))
    return letter


async def test_a_dead_letter_is_listed_with_its_error_origin_and_headers(
    producer: AIOKafkaProducer, operator: Caller, settings: ServiceSettings
) -> None:
    identity = Topics(settings.topic_prefix).of("identity")
    _, envelope = key_issued(settings)
    await dead_letter(producer, identity, envelope, "t-group", ValueError("boom"), offset=11)

    letter = await one_letter(operator)
    assert letter["dlq_topic"] == dead_letter_topic(identity)
    assert letter["error"] == "ValueError: boom" and letter["error_type"] == "ValueError"
    assert letter["original_topic"] == identity
    assert (letter["original_partition"], letter["original_offset"]) == (0, 11)
    assert letter["consumer_group"] == "t-group" and letter["status"] == "pending"
    assert letter["headers"]["ce_id"] == envelope.id
    assert not any(name.startswith("dlq.") for name in letter["headers"])


async def test_a_dry_run_checks_the_entry_against_the_current_schema_and_replay_agrees(
    producer: AIOKafkaProducer, operator: Caller, settings: ServiceSettings
) -> None:
    identity = Topics(settings.topic_prefix).of("identity")
    await dead_letter(producer, identity, broken_key_event(), "g", ValueError("x"))
    letter = await one_letter(operator)

    response = await operator.post(f"/api/dead-letters/{letter['id']}/dry-run")
    body = await response.json()
    assert response.status == 200 and body["valid"] is False
    assert body["event_type"] == "jamp.apikey.issued.v1"
    assert body["problems"] == ["data.key_hash: Field required"]

    # What the dry run refuses, the replay refuses: it would only be dead-lettered again.
    replayed = await operator.post(f"/api/dead-letters/{letter['id']}/replay")
    assert replayed.status == 409
    assert "data.key_hash: Field required" in (await replayed.json())["detail"]
    assert (await one_letter(operator))["status"] == "pending"


async def test_replay_sends_the_record_back_and_records_it_as_event_and_audit(
    producer: AIOKafkaProducer, operator: Caller, settings: ServiceSettings
) -> None:
    topics = Topics(settings.topic_prefix)
    _, envelope = key_issued(settings)
    await dead_letter(producer, topics.of("identity"), envelope, "g", ValueError("x"))
    letter = await one_letter(operator)

    dry = await (await operator.post(f"/api/dead-letters/{letter['id']}/dry-run")).json()
    response = await operator.post(f"/api/dead-letters/{letter['id']}/replay")
    assert dry["valid"] is True and dry["target_topic"] == topics.of("identity")
    assert response.status == 200

    [replayed] = await read_topic(settings, topics.of("identity"), 1)
    assert Envelope.from_bytes(replayed.value).id == envelope.id
    assert dict(replayed.headers)["monitor.replayed_from"] == letter["id"].encode()
    [event] = await read_topic(settings, topics.of("monitor"), 1)
    recorded = Envelope.from_bytes(event.value)
    assert recorded.type == "jamp.monitor.dead_letter_replayed.v1"
    assert recorded.correlationid == envelope.correlationid
    assert recorded.data["target_topic"] == topics.of("identity")
    [entry] = (await (await operator.get("/api/audit")).json())["items"]
    assert entry["action"] == "dead_letter.replay" and entry["target"] == letter["id"]
    assert entry["details"]["target_topic"] == topics.of("identity")
    assert (entry["actor"], entry["by"]["key_id"]) == ("operator", operator.key_id)
    after = await (await operator.get(f"/api/dead-letters/{letter['id']}")).json()
    assert after["status"] == "replayed" and len(after["replays"]) == 1


async def test_a_letter_goes_back_only_to_its_own_topic_and_only_with_that_topics_types(
    producer: AIOKafkaProducer, operator: Caller, settings: ServiceSettings
) -> None:
    # A forger who can write to the companies DLQ claims the letter came from the identity
    # stream and that it issues an admin key.
    topics = Topics(settings.topic_prefix)
    identity, companies = topics.of("identity"), topics.of("companies")
    _, envelope = key_issued(settings, Role.ADMIN)
    forged_to = dead_letter_topic(companies)
    await dead_letter(producer, identity, envelope, "g", ValueError("x"), to=forged_to)
    letter = await one_letter(operator)
    assert letter["original_topic"] == companies and letter["reported_topic"] == identity

    path = f"/api/dead-letters/{letter['id']}"
    refusal = f"type jamp.apikey.issued.v1 is published on {identity}, not on {companies}"
    dry = await (await operator.post(f"{path}/dry-run")).json()
    assert dry == {"valid": False, "event_type": "jamp.apikey.issued.v1",
                   "target_topic": companies, "problems": [refusal]}  # fmt: skip
    response = await operator.post(f"{path}/replay")
    assert response.status == 409 and refusal in (await response.json())["detail"]
    many = await (await operator.post("/api/dead-letters/replay", {"ids": [letter["id"]]})).json()
    assert refusal in many["outcomes"][0]["error"]

    assert (await (await operator.get(path)).json())["status"] == "pending"
    assert (await (await operator.get("/api/audit")).json())["items"] == []
    await producer.send_and_wait(identity, value=b"marker")
    assert [record.value for record in await read_topic(settings, identity, 1)] == [b"marker"]


async def test_many_are_replayed_at_once_each_with_its_outcome(
    producer: AIOKafkaProducer, operator: Caller, settings: ServiceSettings
) -> None:
    identity = Topics(settings.topic_prefix).of("identity")
    for offset in (1, 2):
        await dead_letter(producer, identity, key_issued(settings)[1], "g", ValueError(), offset)
    letters = await eventually(lambda: _at_least(operator, 2))

    ids = [letter["id"] for letter in letters] + ["missing:0:0"]
    twice = await operator.post("/api/dead-letters/replay", {"ids": [ids[0], ids[0]]})
    assert twice.status == 422  # an id listed twice would be replayed twice
    report = await (await operator.post("/api/dead-letters/replay", {"ids": ids})).json()
    assert [bool(o["replay"]) for o in report["outcomes"]] == [True, True, False]
    assert report["outcomes"][2]["error"] == "no dead letter missing:0:0"
    assert len(await letters_of(operator, status="replayed")) == 2


async def _at_least(caller: Caller, count: int) -> list[dict[str, Any]] | None:
    letters = await letters_of(caller)
    return letters if len(letters) >= count else None


async def test_discarding_needs_a_reason_and_happens_once(
    producer: AIOKafkaProducer, operator: Caller, settings: ServiceSettings
) -> None:
    identity = Topics(settings.topic_prefix).of("identity")
    await dead_letter(producer, identity, broken_key_event(), "g", ValueError())
    path = f"/api/dead-letters/{(await one_letter(operator))['id']}"

    assert (await operator.post(f"{path}/discard", {})).status == 422
    assert (await operator.post(f"{path}/discard", {"reason": "     "})).status == 422
    assert (await operator.post(f"{path}/discard", {"reason": "test data"})).status == 204
    assert (await operator.post(f"{path}/discard", {"reason": "again"})).status == 409
    assert (await operator.post(f"{path}/replay")).status == 409
    letter = await (await operator.get(path)).json()
    assert letter["status"] == "discarded" and letter["discarded_reason"] == "test data"
    [entry] = (await (await operator.get("/api/audit")).json())["items"]
    assert entry["action"] == "dead_letter.discard" and entry["details"] == {"reason": "test data"}


async def test_a_replay_is_processed_by_the_group_that_failed_it(
    client: TestClient[Any, Any],
    producer: AIOKafkaProducer,
    operator: Caller,
    settings: ServiceSettings,
) -> None:
    identity = Topics(settings.topic_prefix).of("identity")
    plaintext, envelope = key_issued(settings)
    group = settings.group_id("companies")
    await dead_letter(producer, identity, envelope, group, ConnectionError("mongo away"))
    letter = await one_letter(operator)

    await operator.post(f"/api/dead-letters/{letter['id']}/replay")

    async def processed() -> bool:
        body = await (await operator.get(f"/api/dead-letters/{letter['id']}")).json()
        return bool(body["replays"][0]["processed"])

    await eventually(processed)
    companies_reader = Caller(client, plaintext)
    assert (await companies_reader.get("/companies")).status == 200


async def replayed_letter(
    producer: AIOKafkaProducer, operator: Caller, settings: ServiceSettings
) -> tuple[dict[str, Any], ConsumerRecord]:
    """A group's letter of an identity event, replayed: the letter and the record the
    replay wrote back to the topic."""
    identity = Topics(settings.topic_prefix).of("identity")
    await dead_letter(producer, identity, key_issued(settings)[1], "g", ValueError("bug"))
    letter = await one_letter(operator)
    replay = await (await operator.post(f"/api/dead-letters/{letter['id']}/replay")).json()
    [replayed] = [
        record
        for record in await read_topic(settings, identity, 1)
        if (record.partition, record.offset) == (replay["partition"], replay["offset"])
    ]
    return letter, replayed


async def test_a_replay_its_group_fails_again_is_not_processed_and_names_the_new_letter(
    producer: AIOKafkaProducer, operator: Caller, settings: ServiceSettings
) -> None:
    identity = Topics(settings.topic_prefix).of("identity")
    letter, replayed = await replayed_letter(producer, operator, settings)
    # The group fails the replayed record again, as its consumer would: the record, with
    # its headers (which name the letter it was replayed from), goes to the DLQ.
    await producer.send_and_wait(
        dead_letter_topic(identity), value=replayed.value, key=replayed.key,
        headers=dead_letter_headers(replayed, "g", ValueError("bug, again")),
    )  # fmt: skip

    async def failed_again() -> dict[str, Any] | None:
        shown = await (await operator.get(f"/api/dead-letters/{letter['id']}")).json()
        return shown if shown["replays"][0]["dead_lettered_again"] else None

    shown = await eventually(failed_again)
    [again] = [item for item in await letters_of(operator) if item["id"] != letter["id"]]
    assert shown["replays"][0]["dead_lettered_again"] == again["id"]
    assert shown["replays"][0]["processed"] is False
    assert again["status"] == "pending" and again["error"] == "ValueError: bug, again"


@pytest.mark.parametrize("forgery", ["in a DLQ the replay never went to", "another record"])
async def test_a_letter_that_only_names_a_replay_does_not_mark_it_failed_again(
    forgery: str, producer: AIOKafkaProducer, operator: Caller, settings: ServiceSettings
) -> None:
    topics = Topics(settings.topic_prefix)
    identity = topics.of("identity")
    letter, replayed = await replayed_letter(producer, operator, settings)
    # Headers are the writer's: these name the letter, its group and its replay's place.
    headers = dead_letter_headers(replayed, "g", ValueError("forged"))
    if forgery == "another record":
        dlq, value = dead_letter_topic(identity), b'{"other": 1}'
    else:
        dlq, value = dead_letter_topic(topics.of("companies")), replayed.value
    await producer.send_and_wait(dlq, value=value, key=b"f", headers=headers)
    marker = [("dlq.error", b"marker")]  # filed after the forgery: same partition
    await producer.send_and_wait(dlq, value=b"{}", key=b"f", headers=marker)

    async def filed() -> bool:
        return "marker" in [listed["error"] for listed in await letters_of(operator)]

    await eventually(filed)
    shown = await (await operator.get(f"/api/dead-letters/{letter['id']}")).json()
    assert shown["replays"][0]["dead_lettered_again"] is None
