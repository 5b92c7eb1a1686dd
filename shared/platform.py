"""The infrastructure every service has, as aiohttp cleanup contexts: one per resource.

A service's ``app.py`` appends ``platform_context``, then its own repositories, then
``outbox_relay_context`` and ``consumer_context``; each sets up, yields, and tears down.
"""

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial

from aiohttp import web
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.auth import KeyReplica
from shared.consumer import ConsumerRunner, HandlerTable, RetryPolicy
from shared.contracts import EventPayload
from shared.contracts.identity import Actor
from shared.dead_letters import DeadLetterPublisher
from shared.envelope import Envelope
from shared.healing import BrokerHealer, PublishGuard
from shared.http.appkeys import KEYS, METRICS, READINESS_CHECKS, SETTINGS
from shared.http.health import ReadinessCheck, running
from shared.idempotency import COLLECTION as IDEMPOTENCY
from shared.idempotency import record_claim
from shared.kafka import create_batch_producer, create_producer, kafka_reachable
from shared.metrics import ServiceMetrics
from shared.mongo import (
    Document,
    MongoClient,
    NewDocument,
    create_client,
    ping,
    transaction,
    until_answering,
)
from shared.outbox import Outbox
from shared.outbox_migration import prepare_outbox
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings
from shared.tasks import KeptRunning, at_most, cancel_and_wait, drain_or_cancel
from shared.topics import Topics

CleanupContext = Callable[[web.Application], AsyncIterator[None]]


@dataclass(frozen=True)
class Platform:
    service: str
    settings: ServiceSettings
    mongo: MongoClient
    database: AsyncDatabase[Document]
    outbox: Outbox
    topics: Topics


@dataclass(frozen=True)
class Trace:
    """Who asked and which conversation a change belongs to; carried into its events."""

    correlation_id: str | None
    traceparent: str | None
    actor: str
    """The grant (``desk:VN``) or the service that acted."""
    person_id: str | None = None
    person_name: str | None = None
    """The person behind the key, or the key's label when it has no person."""
    key_id: str | None = None

    @property
    def by(self) -> Actor:
        """The actor to record beside a change."""
        return Actor(
            grant=self.actor,
            person_id=self.person_id,
            name=self.person_name or self.actor,
            key_id=self.key_id,
        )

    @classmethod
    def caused_by(cls, envelope: Envelope) -> "Trace":
        """For events a consumer publishes: same correlation, a child span, the source."""
        return cls(envelope.correlationid, envelope.traceparent, actor=envelope.source)


class UnitOfWork:
    """One transaction: the state change and the events it publishes commit together.

    Built by ``unit_of_work``, it holds its events and the new documents given to
    ``insert``, and writes them all in one command before the commit; built around a
    transaction someone else commits (a consumer's), it writes each as it comes
    (``buffered=False``), since nothing would flush it."""

    def __init__(
        self,
        platform: Platform,
        session: AsyncClientSession,
        trace: Trace,
        *,
        buffered: bool = False,
    ) -> None:
        self.platform, self.session, self.trace = platform, session, trace
        self.buffered = buffered
        self.events: list[tuple[str, Envelope]] = []
        self.new_documents: list[NewDocument] = []
        self.published: Envelope | None = None
        self.first_event_id: str | None = None
        self.first_sequence: int | None = None

    async def committed(self) -> bool:
        """Whether this transaction committed: its first event is in the outbox only then
        (under the number it took: one indexed read)."""
        if self.first_event_id is None or self.first_sequence is None:
            return False
        found = await self.platform.outbox.collection.find_one(
            {"_id": self.first_sequence, "event_id": self.first_event_id}, {"_id": True}
        )
        return found is not None

    async def insert(
        self,
        collection: AsyncCollection[Document],
        *documents: Document,
        taken: Callable[[DuplicateKeyError], Exception] | None = None,
    ) -> None:
        """Insert new documents in this transaction. A buffered unit sends them with its
        events, so the transaction must not read them back; a taken unique key then raises
        what ``taken`` makes of it when the unit is flushed."""
        self.new_documents += [NewDocument(collection, document, taken) for document in documents]
        if not self.buffered:
            await self.flush()

    async def publish(self, subject: str, payload: EventPayload) -> Envelope:
        """Add the event to the outbox, bound for its stream's topic, keyed by ``subject``."""
        if self.first_event_id is None:  # the request's idempotency key names this change
            await record_claim(self.platform.database[IDEMPOTENCY], self.session, subject)
        envelope = Envelope.wrap(
            payload,
            source=self.platform.service,
            subject=subject,
            correlation_id=self.trace.correlation_id,
            traceparent=self.trace.traceparent,
        )
        if self.published is not None:
            envelope = after_in_time(envelope, self.published)
        self.published = envelope
        self.first_event_id = self.first_event_id or envelope.id
        self.events.append((self.platform.topics.of(payload.stream), envelope))
        if not self.buffered:
            await self.flush()
        return envelope

    async def publish_all(self, events: list[tuple[str, EventPayload]]) -> list[Envelope]:
        """Several events (subject, payload) in their order, in one outbox write."""
        buffered, self.buffered = self.buffered, True
        try:
            envelopes = [await self.publish(subject, payload) for subject, payload in events]
        finally:
            self.buffered = buffered
        if not buffered and self.events:
            await self.flush()
        return envelopes

    async def flush(self) -> None:
        """Write the new documents and events held so far, in one round trip."""
        events, self.events = self.events, []
        new_documents, self.new_documents = self.new_documents, []
        first = await self.platform.outbox.add_all(self.session, events, new_documents)
        if self.first_sequence is None:
            self.first_sequence = first


def after_in_time(envelope: Envelope, previous: Envelope) -> Envelope:
    """The envelope, timed at least a millisecond after the unit's previous event: stores
    that keep milliseconds only (BSON dates) then still see a unit's events in order."""
    floor = previous.time.replace(microsecond=previous.time.microsecond // 1000 * 1000)
    if envelope.time >= floor + timedelta(milliseconds=1):
        return envelope
    return envelope.model_copy(update={"time": floor + timedelta(milliseconds=1)})


@asynccontextmanager
async def unit_of_work(platform: Platform, trace: Trace) -> AsyncIterator[UnitOfWork]:
    uow: UnitOfWork | None = None

    async def committed() -> bool:
        return uow is not None and await uow.committed()

    async with transaction(platform.mongo, committed) as session:
        uow = UnitOfWork(platform, session, trace, buffered=True)
        yield uow
        await uow.flush()
    platform.outbox.nudge()


PLATFORM = web.AppKey("platform", Platform)
HEALER = web.AppKey("broker_healer", BrokerHealer)


def platform_context(service: str) -> CleanupContext:
    """MongoDB client, the service's database, its outbox and key replica, readiness checks."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        mongo = create_client(settings.mongodb_uri)
        await until_answering(mongo, settings.database_start_wait_seconds)
        database = mongo[settings.database_name(service)]
        platform = Platform(
            service=service,
            settings=settings,
            mongo=mongo,
            database=database,
            outbox=Outbox(database["outbox"]),
            topics=Topics(settings.topic_prefix),
        )
        await prepare_outbox(platform.outbox)
        app[PLATFORM] = platform
        app[KEYS] = KeyReplica(database["api_keys"], settings.pepper())
        healer = BrokerHealer(
            settings,
            platform.topics,
            database["broker_state"],
            partial(create_producer, settings, f"{service}-healer"),
            outboxes=[platform.outbox],
            check_seconds=settings.broker_check_seconds,
        )
        app[HEALER] = healer
        app[READINESS_CHECKS].extend(
            [
                ReadinessCheck("mongodb", partial(_mongo_ok, mongo), critical=True),
                ReadinessCheck("kafka", partial(_kafka_ok, settings, healer), critical=False),
            ]
        )
        healing = KeptRunning(healer.run, f"{service}-broker-healer")
        yield
        await cancel_and_wait(healing.task)
        await at_most(mongo.close(), "mongodb.close")

    return context


async def _mongo_ok(mongo: MongoClient) -> bool:
    await ping(mongo)
    return True


async def _kafka_ok(settings: ServiceSettings, healer: BrokerHealer) -> bool:
    """Reachable, and not re-publishing what a broker that lost its data forgot."""
    return not healer.healing and await kafka_reachable(settings.kafka_bootstrap_servers)


def outbox_relay(
    platform: Platform,
    client_id: str,
    metrics: ServiceMetrics,
    guard: PublishGuard | None = None,
) -> OutboxRelay:
    """The relay of a platform's outbox, with its lease and the settings' timings."""
    settings = platform.settings
    return OutboxRelay(
        platform.outbox,
        partial(create_batch_producer, settings, client_id),
        platform.outbox.lease(timedelta(seconds=settings.outbox_lease_seconds)),
        poll_seconds=settings.outbox_poll_seconds,
        linger_seconds=settings.outbox_linger_seconds,
        retention=timedelta(hours=settings.outbox_retention_hours),
        metrics=metrics,
        guard=guard,
        gap_horizon=timedelta(seconds=settings.outbox_gap_horizon_seconds),
    )


async def outbox_relay_context(app: web.Application) -> AsyncIterator[None]:
    async with _relaying(app[PLATFORM], app):
        yield


def ledger_relay_context(owner: str) -> CleanupContext:
    """Also relay the outbox of a ledger no service owns (``owner``'s database, written by
    the CLI), so that its events do not wait for the next command that writes it."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        platform = app[PLATFORM]
        database = platform.mongo[platform.settings.database_name(owner)]
        ledger = replace(platform, service=owner, database=database)
        ledger = replace(ledger, outbox=Outbox(database["outbox"]))
        await prepare_outbox(ledger.outbox)
        app[HEALER].outboxes.append(ledger.outbox)
        async with _relaying(ledger, app, client_id=f"{platform.service}-{owner}-relay"):
            yield

    return context


@asynccontextmanager
async def _relaying(
    platform: Platform, app: web.Application, client_id: str | None = None
) -> AsyncIterator[None]:
    guard = PublishGuard(app[HEALER])
    client = client_id or f"{platform.service}-relay"
    relay = outbox_relay(platform, client, app[METRICS], guard)
    relaying = KeptRunning(relay.run, f"{client}-outbox")
    # A ledger's relay is named after the ledger: "identity-relay" beside the service's "relay".
    check = "relay" if client_id is None else f"{platform.service}-relay"
    app[READINESS_CHECKS].append(running(check, relaying))
    yield
    await cancel_and_wait(relaying.task)


def consumer_context(
    table: Mapping[str, HandlerTable], drain_seconds: float = 10.0
) -> CleanupContext:
    """Consume the named streams (owner → handlers) as the service's consumer group."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        platform = app[PLATFORM]
        settings = platform.settings
        processed = platform.database["processed_events"]
        runner = ConsumerRunner(
            group_id=settings.group_id(platform.service),
            topics=[platform.topics.of(stream) for stream in table],
            handlers={
                model: handler for handlers in table.values() for model, handler in handlers.items()
            },
            mongo=platform.mongo,
            processed=processed,
            dead_letters=DeadLetterPublisher(
                partial(create_producer, settings, f"{platform.service}-dlq")
            ),
            settings=settings,
            retry=RetryPolicy(
                settings.consumer_retry_base_seconds,
                settings.consumer_retry_max_seconds,
                settings.consumer_max_attempts,
            ),
            app=app,
            metrics=app[METRICS],
            own_source=platform.service,
        )
        app[HEALER].consumers.append(runner)
        consuming = KeptRunning(runner.run, f"{platform.service}-consumer")
        app[READINESS_CHECKS].append(running("consumer", consuming))
        yield
        runner.stop()  # graceful: finish and commit the batch in hand
        await drain_or_cancel(consuming.task, drain_seconds)

    return context
