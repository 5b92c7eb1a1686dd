"""The consumer runner on real Kafka and MongoDB: effectively-once, retries, dead letters."""

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest
import structlog
from aiohttp import web
from aiokafka import AIOKafkaProducer
from pymongo.errors import AutoReconnect

from shared import tasks
from shared.consumer import ConsumedEvent, ConsumerRunner, PoisonEvent, RetryPolicy
from shared.contracts.companies import CompanySuspended, CompanyVerified
from shared.dead_letters import DeadLetterPublisher
from shared.envelope import Envelope
from shared.kafka import create_producer
from shared.metrics import ServiceMetrics
from shared.mongo import MongoClient, create_client
from shared.settings import ServiceSettings
from shared.tasks import KeptRunning
from shared.topics import Topics, dead_letter_topic
from tests.support import eventually, read_topic


@dataclass
class Harness:
    settings: ServiceSettings
    mongo: MongoClient
    producer: AIOKafkaProducer
    topic: str
    failures_left: dict[str, int]
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    """The handler of company "slow" sets ``entered`` and waits for ``gate``."""
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics)

    def consumed(self, outcome: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "consumer_events_total", {"topic": self.topic, "outcome": outcome}
        )
        return value or 0.0

    @property
    def counters(self) -> Any:
        return self.mongo[self.settings.database_name("runner")]["counters"]

    async def count(self, company_id: str) -> int:
        document = await self.counters.find_one({"_id": company_id})
        return 0 if document is None else int(document["n"])

    async def send(self, envelope: Envelope, raw: bytes | None = None) -> None:
        await self.producer.send_and_wait(
            self.topic,
            value=raw if raw is not None else envelope.to_bytes(),
            key=envelope.subject.encode(),
            headers=envelope.kafka_headers(),
        )

    async def on_verified(self, event: ConsumedEvent, app: web.Application) -> None:
        assert isinstance(event.payload, CompanyVerified)
        company_id = event.payload.company_id
        if company_id == "slow":
            self.entered.set()
            await self.gate.wait()
        if self.failures_left.get(company_id, 0) > 0:
            self.failures_left[company_id] -= 1
            raise AutoReconnect("database connection lost")  # transient
        await self.counters.update_one(
            {"_id": company_id}, {"$inc": {"n": 1}}, upsert=True, session=event.session
        )

    async def on_suspended(self, event: ConsumedEvent, app: web.Application) -> None:
        raise PoisonEvent("suspensions are not accepted here")

    def runner(self, group: str) -> ConsumerRunner:
        return ConsumerRunner(
            group_id=group,
            topics=[self.topic],
            handlers={CompanyVerified: self.on_verified, CompanySuspended: self.on_suspended},
            mongo=self.mongo,
            processed=self.mongo[self.settings.database_name("runner")]["processed_events"],
            dead_letters=DeadLetterPublisher(partial(create_producer, self.settings, "dlq")),
            settings=self.settings,
            retry=RetryPolicy(0.05, 0.2, max_attempts=3),
            app=web.Application(),
            metrics=self.metrics,
        )


@pytest.fixture
async def harness(settings: ServiceSettings) -> AsyncIterator[Harness]:
    mongo = create_client(settings.mongodb_uri)
    producer = create_producer(settings, "test")
    await producer.start()
    yield Harness(settings, mongo, producer, Topics(settings.topic_prefix).of("companies"), {})
    await producer.stop()
    await mongo.close()


async def running(runner: ConsumerRunner) -> "asyncio.Task[None]":
    return asyncio.create_task(runner.run())


async def stopped(runner: ConsumerRunner, task: "asyncio.Task[None]") -> None:
    runner.stop()
    await asyncio.wait_for(task, 15)


def verified(company_id: str) -> Envelope:
    payload = CompanyVerified(company_id=company_id, version=2, by="admin")
    return Envelope.wrap(payload, source="test", subject=company_id)


async def test_each_event_is_handled_and_a_redelivery_changes_nothing(harness: Harness) -> None:
    events = [verified("c1"), verified("c1"), verified("c2")]
    for envelope in events:
        await harness.send(envelope)
    await harness.send(events[0])  # the broker hands the same event over again
    first = harness.runner("first")
    task = await running(first)
    await eventually(lambda: _equals(harness.count("c2"), 1))
    await stopped(first, task)
    assert await harness.count("c1") == 2

    # A group whose commits were lost reads everything again: nothing changes.
    second = harness.runner("lost-commits")
    task = await running(second)
    await harness.send(verified("c3"))
    await eventually(lambda: _equals(harness.count("c3"), 1))
    await stopped(second, task)
    assert (await harness.count("c1"), await harness.count("c2")) == (2, 1)
    # The duplicate in the first pass, all four old records in the second.
    assert harness.consumed("redelivery") == 5
    assert harness.consumed("handled") == 4


async def test_a_shutdown_finishes_and_commits_the_event_in_hand(harness: Harness) -> None:
    await harness.send(verified("slow"))
    runner = harness.runner("draining")
    task = await running(runner)
    await asyncio.wait_for(harness.entered.wait(), 15)
    runner.stop()  # while the handler is still busy with the event
    harness.gate.set()
    await asyncio.wait_for(task, 15)
    assert await harness.count("slow") == 1

    successor = harness.runner("draining")  # same group: starts after the committed offset
    task = await running(successor)
    await harness.send(verified("next"))
    await eventually(lambda: _equals(harness.count("next"), 1))
    await stopped(successor, task)
    assert harness.consumed("redelivery") == 0


async def test_a_transient_failure_is_retried_until_it_succeeds(harness: Harness) -> None:
    harness.failures_left["flaky"] = 2
    await harness.send(verified("flaky"))
    runner = harness.runner("retrying")
    task = await running(runner)
    await eventually(lambda: _equals(harness.count("flaky"), 1))
    await stopped(runner, task)
    assert harness.failures_left["flaky"] == 0


async def test_poison_events_go_to_the_dlq_and_later_events_still_flow(
    harness: Harness, settings: ServiceSettings
) -> None:
    good_before, good_after = verified("before"), verified("after")
    suspended = Envelope.wrap(
        CompanySuspended(company_id="p1", version=3, by="admin", reason="x"),
        source="test",
        subject="p1",
    )
    broken_payload = verified("p2").model_copy(update={"data": {"company_id": 42}})
    await harness.send(good_before)
    await harness.send(suspended)  # the handler refuses it
    await harness.send(broken_payload)  # the payload breaks its contract
    await harness.send(verified("p3"), raw=b"\x00 not an envelope")
    await harness.send(good_after)
    runner = harness.runner("poisoned")
    task = await running(runner)
    await eventually(lambda: _equals(harness.count("after"), 1))
    await stopped(runner, task)
    assert await harness.count("before") == 1
    assert harness.consumed("dead_lettered") == 3
    dead = await read_topic(settings, dead_letter_topic(harness.topic), 3)
    by_subject = {record.key.decode(): dict(record.headers) for record in dead}
    assert set(by_subject) == {"p1", "p2", "p3"}
    assert by_subject["p1"]["dlq.error_type"] == b"PoisonEvent"
    assert by_subject["p2"]["dlq.error_type"] == b"ValidationError"
    assert by_subject["p1"]["ce_type"] == b"jamp.company.suspended.v1"  # original headers kept
    assert by_subject["p3"]["dlq.original_topic"] == harness.topic.encode()
    assert all("dlq.original_offset" in headers for headers in by_subject.values())


async def test_a_member_beats_while_a_transaction_is_in_hand_and_writes_nothing_when_idle(
    harness: Harness,
) -> None:
    sessions = harness.mongo[harness.settings.database_name("runner")]["consumer_sessions"]
    runner = harness.runner("beating")
    beat = runner.settings.kafka_session_timeout_ms / 5000
    await harness.send(verified("slow"))
    task = await running(runner)
    await asyncio.wait_for(harness.entered.wait(), 15)
    first = await eventually(lambda: sessions.find_one({"group": "beating"}))

    async def beaten_since() -> bool:
        now = await sessions.find_one({"group": "beating"})
        return now is not None and now["alive_at"] > first["alive_at"]

    await eventually(beaten_since, timeout=5 * beat)  # the transaction is still in hand
    harness.gate.set()
    await eventually(lambda: _equals(harness.count("slow"), 1))

    async def withdrawn() -> bool:
        return await sessions.count_documents({"group": "beating"}) == 0

    await eventually(withdrawn, timeout=5 * beat)  # idle: no open transaction to end
    await asyncio.sleep(2.5 * beat)
    assert await withdrawn()  # and no beat wrote it back while nothing happened
    await harness.send(verified("next"))
    await eventually(lambda: _equals(harness.count("next"), 1))
    await stopped(runner, task)


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def test_a_dead_letter_and_its_log_line_never_repeat_the_input_that_failed(
    harness: Harness, settings: ServiceSettings
) -> None:
    # pydantic would quote the failing input, here a person's e-mail and phone number.
    contact = {"company_id": {"email": "sato@example.co.jp", "phone": "+84 236 3822 123"}}
    await harness.send(verified("p").model_copy(update={"data": contact}))
    await harness.send(verified("after"))
    runner = harness.runner("private")
    with structlog.testing.capture_logs() as logs:
        task = await running(runner)
        await eventually(lambda: _equals(harness.count("after"), 1))
        await stopped(runner, task)

    [dead] = await read_topic(settings, dead_letter_topic(harness.topic), 1)
    error = dict(dead.headers)["dlq.error"].decode()
    assert error.startswith("ValidationError: 3 error(s) in CompanyVerified: company_id:")
    [logged] = [line for line in logs if line["event"] == "consumer.dead_lettered"]
    assert logged["error"] == error
    for text in (error, repr(logs)):
        assert "sato@" not in text and "3822" not in text


async def test_an_unknown_type_of_the_topics_family_is_dead_lettered_others_are_counted(
    harness: Harness, settings: ServiceSettings
) -> None:
    renamed = verified("u1").model_copy(update={"type": "jamp.company.renamed.v1"})
    foreign = verified("u2").model_copy(update={"type": "acme.weather.reported.v1"})
    for envelope in (renamed, foreign, verified("after-unknown")):
        await harness.send(envelope)
    runner = harness.runner("unknown-types")
    task = await running(runner)
    await eventually(lambda: _equals(harness.count("after-unknown"), 1))
    await stopped(runner, task)
    dead = await read_topic(settings, dead_letter_topic(harness.topic), 1)
    assert [record.key for record in dead] == [b"u1"]
    error = dict(dead[0].headers)["dlq.error"].decode()
    assert "jamp.company.renamed.v1" in error and "companies stream" in error
    foreign_count = harness.metrics.registry.get_sample_value(
        "consumer_foreign_event_types_total",
        {"topic": harness.topic, "type": "acme.weather.reported.v1"},
    )
    assert foreign_count == 1


async def test_a_runner_started_again_after_a_failure_handles_the_batch_in_hand_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch a loop failed on was not committed: the restarted runner (a new member,
    a new session) reads it again, and each event takes effect once."""
    monkeypatch.setattr(tasks, "RESTART_FIRST_SECONDS", 0.1)
    process_run = ConsumerRunner._process_run

    async def fails_after_handling(runner: ConsumerRunner, run: Any) -> bool:
        await process_run(runner, run)  # handled, its offset not yet committed
        monkeypatch.setattr(ConsumerRunner, "_process_run", process_run)
        raise RuntimeError("nothing in the loop expected this")

    monkeypatch.setattr(ConsumerRunner, "_process_run", fails_after_handling)
    for company_id in ("again-1", "again-2"):
        await harness.send(verified(company_id))
    runner = harness.runner("kept-running")
    kept = KeptRunning(runner.run, "runner")
    await eventually(lambda: _equals(harness.count("again-1"), 1))
    await eventually(lambda: _equals(harness.count("again-2"), 1))
    await eventually(lambda: _is(kept.restarts == 1 and harness.consumed("redelivery") >= 1))
    await harness.send(verified("again-3"))
    await eventually(lambda: _equals(harness.count("again-3"), 1))
    await stopped(runner, kept.task)
    assert (await harness.count("again-1"), await harness.count("again-2")) == (1, 1)


async def _is(condition: bool) -> bool:
    return condition
