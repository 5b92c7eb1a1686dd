"""Batchable handlers: one transaction per run of records, split by a poison record."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest
from aiohttp import web
from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo.asynchronous.client_session import AsyncClientSession

from shared.consumer import (
    Batchable,
    ConsumedEvent,
    ConsumerRunner,
    EventHandler,
    PoisonEvent,
    RetryPolicy,
)
from shared.contracts import EventPayload
from shared.contracts.companies import CompanySuspended, CompanyVerified
from shared.dead_letters import DeadLetterPublisher
from shared.envelope import Envelope
from shared.kafka import create_producer
from shared.metrics import ServiceMetrics
from shared.mongo import MongoClient, create_client
from shared.settings import ServiceSettings
from shared.topics import Topics, dead_letter_topic
from tests.support import eventually, read_topic


@dataclass
class Batches:
    settings: ServiceSettings
    mongo: MongoClient
    topic: str
    sessions: list[AsyncClientSession] = field(default_factory=list)
    """The session (one per transaction; held, so no two share an id) of each event."""
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics)
    in_transaction: list[bool] = field(default_factory=list)
    together: list[int] = field(default_factory=list)
    """How many events each call of the handler that takes several at once was given."""
    refuse_together: int = 0
    """How many of those calls fail before they write (the runner falls back record by record)."""

    def consumed(self, outcome: str) -> float:
        labels = {"topic": self.topic, "outcome": outcome}
        return self.metrics.registry.get_sample_value("consumer_events_total", labels) or 0.0

    async def on_verified(self, event: ConsumedEvent, app: web.Application) -> None:
        assert isinstance(event.payload, CompanyVerified)
        await self.counters.update_one(
            {"_id": event.payload.company_id},
            {"$inc": {"n": 1}},
            upsert=True,
            session=event.session,
        )
        self.sessions.append(event.session)

    async def on_suspended(self, event: ConsumedEvent, app: web.Application) -> None:
        raise PoisonEvent("suspensions are not accepted here")

    async def on_verified_upsert(self, event: ConsumedEvent, app: web.Application) -> None:
        """Idempotent: sets facts (the version seen) and counts how often it was applied."""
        assert isinstance(event.payload, CompanyVerified)
        self.in_transaction.append(event.session.in_transaction)
        await self.counters.update_one(
            {"_id": event.payload.company_id},
            {"$set": {"version": event.payload.version}, "$inc": {"applied": 1}},
            upsert=True,
            session=event.session,
        )

    async def on_all_verified(self, events: Sequence[ConsumedEvent], app: web.Application) -> None:
        """What ``on_verified_upsert`` of each does, in one call."""
        self.together.append(len(events))
        if len(self.together) <= self.refuse_together:
            raise RuntimeError("the database went away")
        for event in events:
            await self.on_verified_upsert(event, app)

    @property
    def counters(self) -> Any:
        return self.mongo[self.settings.database_name("batches")]["counters"]

    async def count(self, company_id: str) -> int:
        document = await self.counters.find_one({"_id": company_id})
        return 0 if document is None else int(document["n"])

    @contextlib.asynccontextmanager
    async def deferred(
        self, events: Sequence[ConsumedEvent], app: web.Application
    ) -> AsyncIterator[None]:
        """A scope that writes, as its transaction ends, how many events it was shown."""
        yield
        await self.scoped.insert_one({"events": len(events)}, session=events[0].session)

    @property
    def scoped(self) -> Any:
        return self.mongo[self.settings.database_name("batches")]["scoped"]

    @property
    def processed(self) -> Any:
        return self.mongo[self.settings.database_name("batches")]["processed_events"]

    def runner(
        self, group: str, own_source: str | None = None, scoped: bool = False,
        idempotent: bool = False, many: bool = False,
    ) -> ConsumerRunner:  # fmt: skip
        scope = self.deferred if scoped else None
        handlers: dict[type[EventPayload], EventHandler] = {
            CompanyVerified: Batchable(self.on_verified, scope),
            CompanySuspended: Batchable(self.on_suspended, scope),
        }
        if idempotent:
            together = self.on_all_verified if many else None
            handlers = {
                CompanyVerified: Batchable(self.on_verified_upsert, idempotent=True, many=together),
                CompanySuspended: Batchable(self.on_suspended, idempotent=True),
            }
        return ConsumerRunner(
            group_id=group,
            topics=[self.topic],
            handlers=handlers,
            mongo=self.mongo,
            processed=self.processed,
            dead_letters=DeadLetterPublisher(partial(create_producer, self.settings, "dlq")),
            settings=self.settings,
            retry=RetryPolicy(0.05, 0.2, max_attempts=2),
            app=web.Application(),
            metrics=self.metrics,
            own_source=own_source,
        )


@pytest.fixture
async def batches(settings: ServiceSettings) -> AsyncIterator[Batches]:
    mongo = create_client(settings.mongodb_uri)
    yield Batches(settings, mongo, Topics(settings.topic_prefix).of("companies"))
    await mongo.close()


async def produce(settings: ServiceSettings, topic: str, envelopes: list[Envelope]) -> None:
    """All on one key, hence one partition, in this order."""
    producer = create_producer(settings, "batch-test")
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send(
                topic, envelope.to_bytes(), key=b"one", headers=envelope.kafka_headers()
            )
        await producer.flush()
    finally:
        await producer.stop()


def verified(company_id: str) -> Envelope:
    payload = CompanyVerified(company_id=company_id, version=2, by="admin")
    return Envelope.wrap(payload, source="test", subject=company_id)


def suspended(company_id: str) -> Envelope:
    """Refused by the handler: a poison record."""
    payload = CompanySuspended(company_id=company_id, version=3, by="admin", reason="x")
    return Envelope.wrap(payload, source="test", subject=company_id)


def handled_and_one_dead(batches: Batches, handled: int) -> Callable[[], Awaitable[bool]]:
    async def seen() -> bool:
        dead = batches.consumed("dead_lettered")
        return batches.consumed("handled") == handled and dead == 1

    return seen


async def consume_until(
    batches: Batches, group: str, done: Any, own_source: str | None = None, scoped: bool = False,
    idempotent: bool = False, many: bool = False,
) -> None:  # fmt: skip
    runner = batches.runner(group, own_source, scoped, idempotent, many)
    task = asyncio.create_task(runner.run())
    try:
        await eventually(done, timeout=20)
    finally:
        runner.stop()
        await asyncio.wait_for(task, 15)


async def committed(settings: ServiceSettings, group: str, topic: str) -> list[int | None]:
    reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=group)
    await reader.start()
    try:
        return [await reader.committed(TopicPartition(topic, p)) for p in range(3)]
    finally:
        await reader.stop()


async def test_a_run_of_batchable_events_shares_one_transaction(batches: Batches) -> None:
    events = [verified(f"c{index}") for index in range(20)]
    await produce(batches.settings, batches.topic, [*events, events[3]])  # one repeated

    async def all_handled() -> bool:
        return batches.consumed("handled") + batches.consumed("redelivery") == 21

    await consume_until(batches, "together", all_handled)
    assert [await batches.count(f"c{index}") for index in range(20)] == [1] * 20
    assert len({id(session) for session in batches.sessions}) < 20  # fewer transactions
    assert batches.consumed("redelivery") == 1
    offsets = await committed(batches.settings, "together", batches.topic)
    assert sorted(offset or 0 for offset in offsets)[-1] == 21  # committed past the batch


async def test_a_poison_record_splits_the_batch_and_the_rest_is_handled_once(
    batches: Batches,
) -> None:
    poison = suspended("p")
    events = [verified(f"before{index}") for index in range(6)]
    events += [poison] + [verified(f"after{index}") for index in range(6)]
    await produce(batches.settings, batches.topic, events)
    await consume_until(batches, "split", handled_and_one_dead(batches, 12))
    counts = [await batches.count(event.subject) for event in events if event is not poison]
    assert counts == [1] * 12  # the failed shared transactions left nothing behind
    dead = await read_topic(batches.settings, dead_letter_topic(batches.topic), 1)
    assert dead[0].key == b"one" and dict(dead[0].headers)["dlq.error_type"] == b"PoisonEvent"


async def test_events_the_service_published_itself_are_ignored(batches: Batches) -> None:
    own = [verified("mine1"), verified("mine2")]  # source "test", as the runner's own
    theirs = Envelope.wrap(
        CompanyVerified(company_id="theirs", version=2, by="admin"), source="other", subject="x"
    )
    await produce(batches.settings, batches.topic, [*own, theirs])

    async def theirs_handled() -> bool:
        return batches.consumed("handled") == 1 and batches.consumed("ignored") == 2

    await consume_until(batches, "own", theirs_handled, own_source="test")
    assert [await batches.count(c) for c in ("mine1", "mine2", "theirs")] == [0, 0, 1]


async def test_a_scope_writes_once_per_transaction_and_only_if_it_commits(
    batches: Batches,
) -> None:
    events = [verified(f"s{index}") for index in range(8)]
    await produce(batches.settings, batches.topic, [*events[:4], suspended("q"), *events[4:]])
    await consume_until(batches, "scoped", handled_and_one_dead(batches, 8), scoped=True)
    shown = [document["events"] async for document in batches.scoped.find({})]
    # Every handled event was shown to the scope of the transaction that committed it, and
    # the transactions the poison record failed wrote nothing.
    assert sum(shown) == 8 and len(shown) < 8


async def test_a_run_partly_processed_before_handles_only_its_new_events(
    batches: Batches,
) -> None:
    # The shared transaction no longer reads the markers first: a marker that exists fails
    # it, and only then are the run's processed events looked up and left out.
    old = [verified(f"old{index}") for index in range(5)]
    await produce(batches.settings, batches.topic, old)

    async def old_handled() -> bool:
        return batches.consumed("handled") == 5

    await consume_until(batches, "earlier", old_handled)
    new = [verified(f"new{index}") for index in range(5)]
    await produce(batches.settings, batches.topic, new)

    async def all_seen() -> bool:  # the second group reads the old events again
        return batches.consumed("handled") == 10 and batches.consumed("redelivery") == 5

    await consume_until(batches, "later", all_seen)
    assert [await batches.count(e.subject) for e in [*old, *new]] == [1] * 10


async def test_idempotent_handlers_write_without_a_transaction_or_markers(
    batches: Batches,
) -> None:
    events = [verified(f"i{index}") for index in range(10)]
    await produce(batches.settings, batches.topic, [*events, events[2]])  # one redelivered

    async def all_applied() -> bool:
        return batches.consumed("handled") == 11

    await consume_until(batches, "idempotent", all_applied, idempotent=True)
    stored = {d["_id"]: d async for d in batches.counters.find({})}
    assert {company: d["version"] for company, d in stored.items()} == {
        f"i{index}": 2 for index in range(10)
    }
    assert stored["i2"]["applied"] == 2  # applied again: the same facts, nothing else
    assert batches.in_transaction == [False] * 11
    assert await batches.processed.count_documents({}) == 0
    offsets = await committed(batches.settings, "idempotent", batches.topic)
    assert sorted(offset or 0 for offset in offsets)[-1] == 11


async def test_a_poison_record_among_idempotent_ones_is_dead_lettered_in_order(
    batches: Batches,
) -> None:
    before = [verified(f"b{index}") for index in range(4)]
    after = [verified(f"a{index}") for index in range(4)]
    await produce(batches.settings, batches.topic, [*before, suspended("p"), *after])
    await consume_until(
        batches, "idempotent-poison", handled_and_one_dead(batches, 8), idempotent=True
    )
    stored = {d["_id"]: d["applied"] async for d in batches.counters.find({})}
    assert stored == {event.subject: 1 for event in [*before, *after]}
    dead = await read_topic(batches.settings, dead_letter_topic(batches.topic), 1)
    assert dict(dead[0].headers)["dlq.error_type"] == b"PoisonEvent"


async def test_idempotent_events_of_a_handler_that_takes_several_are_applied_together(
    batches: Batches,
) -> None:
    events = [verified(f"m{index}") for index in range(10)]
    await produce(batches.settings, batches.topic, [*events, events[2], suspended("p")])
    await consume_until(
        batches, "idempotent-many", handled_and_one_dead(batches, 11), idempotent=True, many=True
    )
    stored = {d["_id"]: d["applied"] async for d in batches.counters.find({})}
    assert stored == {event.subject: 2 if event is events[2] else 1 for event in events}
    assert max(batches.together) > 1 and batches.in_transaction == [False] * 11
    assert await batches.processed.count_documents({}) == 0


async def test_when_applying_several_at_once_fails_each_is_applied_alone(
    batches: Batches,
) -> None:
    batches.refuse_together = 1
    events = [verified(f"f{index}") for index in range(6)]
    await produce(batches.settings, batches.topic, events)

    async def all_applied() -> bool:
        return batches.consumed("handled") == 6

    await consume_until(batches, "many-fails", all_applied, idempotent=True, many=True)
    stored = {d["_id"]: d["applied"] async for d in batches.counters.find({})}
    assert stored == {event.subject: 1 for event in events}
    assert batches.together[0] > 1  # the first call failed before it wrote anything


def test_only_an_idempotent_handler_takes_several_events_at_once() -> None:
    async def handle(event: ConsumedEvent, app: web.Application) -> None: ...
    async def handle_all(events: Sequence[ConsumedEvent], app: web.Application) -> None: ...

    with pytest.raises(ValueError, match="idempotent"):
        Batchable(handle, many=handle_all)
