"""The consumer runner: at-least-once delivery made effectively-once by idempotent handlers.

Per record: the handler's writes and a processed-event marker (unique ``_id`` = event id)
commit in one MongoDB transaction, so a redelivered event changes nothing. Consecutive
records of one partition whose handlers are ``Batchable`` share one transaction (their
markers written at once); if it fails, each record is handled alone, so a poison record
splits the batch. A ``Batchable`` marked ``idempotent`` (one upsert of facts that a second
application leaves as they are: the key replica, reference read models) needs neither: a
run of them is applied write by write in order, without a transaction or markers.
Offsets are committed per partition batch, only after that. Transient
failures are retried with backoff; an event that can never be handled goes to
``<topic>.dlq`` with the error and its original headers, and the partition keeps flowing.

A ``Batchable`` handler may name a ``scope``: entered once per transaction, after its start
and before its handlers (it is shown their events), and left before the commit. A service
that defers its writes to the end of a transaction (several events' writes in one round
trip) writes them as the scope is left; if anything in the transaction failed, the scope
is left with the error and drops them.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, Literal

from aiohttp import web
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from pydantic import ValidationError
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError
from typing_extensions import TypeVar

from shared.backoff import doubling_pause
from shared.clock import utc_now
from shared.contracts import EVENT_TYPES, EventPayload
from shared.dead_letters import DeadLetterPublisher
from shared.envelope import Envelope, UnknownEventType
from shared.errors import describe
from shared.kafka import create_group_consumer, started
from shared.logs import bound_context, get_logger
from shared.metrics import ServiceMetrics
from shared.mongo import DUPLICATE_KEY, Document, MongoClient, is_transient, transaction
from shared.settings import ServiceSettings
from shared.stale_transactions import SessionRegistry
from shared.tasks import at_most, cancel_and_wait, until_set
from shared.topics import Topics, belongs_to

log = get_logger(__name__)


class PoisonEvent(Exception):
    """Raised by a handler for an event that no retry will ever make acceptable."""


class _AlreadyProcessed(Exception):
    """The processed-event marker exists: this delivery is a redelivery."""


# Covariant (the event is frozen): a ConsumedEvent[CompanyRegistered] is a ConsumedEvent.
# The default keeps an unparametrised ConsumedEvent meaning "any published event".
Payload = TypeVar("Payload", bound=EventPayload, covariant=True, default=EventPayload)


@dataclass(frozen=True)
class ConsumedEvent(Generic[Payload]):
    envelope: Envelope
    payload: Payload
    session: AsyncClientSession
    """The transaction every write of the handler must join."""


Outcome = Literal["handled", "redelivery", "ignored", "dead_lettered"]
# Any, not EventPayload: a handler of ConsumedEvent[CompanyRegistered] is only ever called
# with that payload, which its table's key guarantees (see shared.handler_table).
EventHandler = Callable[[ConsumedEvent[Any], web.Application], Awaitable[None]]
"""A consumer entrypoint: the event, and the app whose resources it may use."""
HandlerTable = Mapping[type[EventPayload], EventHandler]
TransactionScope = Callable[
    [Sequence[ConsumedEvent], web.Application], AbstractAsyncContextManager[None]
]
"""Entered after a transaction starts, with the events of it that its handlers will see (all
in the one session), and left before it commits (see ``Batchable``)."""
ManyHandler = Callable[[Sequence[ConsumedEvent[Any]], web.Application], Awaitable[None]]
"""Handles several events of one type at once (see ``Batchable.many``)."""


@dataclass(frozen=True)
class Batchable:
    """A handler whose writes may share one transaction with the events around it: it
    only writes through ``event.session`` and fails only for its own event's reasons."""

    handler: EventHandler
    scope: TransactionScope | None = None
    """Around every transaction that handles one of its events (once, however many)."""
    idempotent: bool = False
    """Its writes are upserts of facts that stand alone: applied twice, or after a crash
    between two events, they leave what applying them once does. A run of such handlers
    needs no transaction and no processed-event markers (they would cost a marker and a
    commit per run to protect writes that protect themselves)."""

    many: ManyHandler | None = None
    """Idempotent handlers only: the writes of consecutive events of this handler in one
    call, leaving what handling each in order does (one write of several documents costs
    the database a fraction of one write each)."""

    def __post_init__(self) -> None:
        if self.idempotent and self.scope is not None:
            raise ValueError("an idempotent handler runs outside a transaction: no scope")
        if self.many is not None and not self.idempotent:
            raise ValueError("only an idempotent handler applies a run of events at once")

    async def __call__(self, event: ConsumedEvent[Any], app: web.Application) -> None:
        await self.handler(event, app)


@dataclass(frozen=True)
class _Decoded:
    record: ConsumerRecord
    envelope: Envelope
    handler: EventHandler


@dataclass
class RetryPolicy:
    base_seconds: float
    max_seconds: float
    max_attempts: int
    """For unexpected errors; transient ones (lost connections) retry until shutdown."""

    def delay(self, attempt: int) -> float:
        return doubling_pause(attempt, self.base_seconds, self.max_seconds)


async def rewind_to_start(consumer: AIOKafkaConsumer, group_id: str) -> bool:
    """Seek every assigned partition to the start of its log and commit that (see
    shared.healing). False when it could not: nothing assigned yet, or the assignment or
    the broker changed under it (a rebalance is likely right after a broker came back),
    which aiokafka raises and which would otherwise end the consumer's loop for good."""
    partitions = consumer.assignment()
    if not partitions:
        return False
    try:
        await consumer.seek_to_beginning(*partitions)
        offsets = {partition: await consumer.position(partition) for partition in partitions}
        await consumer.commit(offsets)
    except KafkaError as error:
        log.warning("consumer.rewind_interrupted", group=group_id, error=repr(error))
        return False
    log.warning("consumer.rewound", group=group_id, partitions=len(partitions))
    return True


@dataclass
class BrokerLossRecovery:
    """How a group consumer comes back after the broker lost its data (see shared.healing).

    It joins again as a new member: a lost topic may have come back with other partitions (a
    broker creates a topic a client asks metadata for, with its own count), an assignment
    made from the old metadata would leave those unread, and a broker may hand a member
    that joins again its old assignment. Then, once it has partitions, it reads the new logs
    from their start, trying again at each poll until that worked."""

    group_id: str
    _lost: bool = False
    _rewind_pending: bool = False

    def note_loss(self) -> None:
        self._lost = True

    async def before_poll(
        self,
        consumer: AIOKafkaConsumer,
        start: Callable[[], Awaitable[AIOKafkaConsumer | None]],
    ) -> AIOKafkaConsumer | None:
        """The consumer to poll next: ``consumer``, or the new member ``start`` made after
        a loss (None if it gave up: stopping)."""
        if self._lost:
            self._lost, self._rewind_pending = False, True
            await consumer.stop()
            return await start()
        if self._rewind_pending and consumer.assignment():
            self._rewind_pending = not await rewind_to_start(consumer, self.group_id)
        return consumer


@dataclass
class ConsumerRunner:
    group_id: str
    topics: list[str]
    handlers: HandlerTable
    mongo: MongoClient
    processed: AsyncCollection[Document]
    dead_letters: DeadLetterPublisher
    settings: ServiceSettings
    retry: RetryPolicy
    app: web.Application
    metrics: ServiceMetrics
    own_source: str | None = None
    """Events this service published itself are ignored: the transaction that published
    them already wrote their effect (a company's key into the registering service's
    replica), so handling them again would only cost a transaction each."""
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _by_type: dict[str, EventHandler] = field(init=False)
    _sessions: SessionRegistry = field(init=False)
    _session: AsyncClientSession | None = None
    _after_loss: BrokerLossRecovery = field(init=False)
    _claimed: bool = False
    _in_transaction: bool = False
    _used_since_beat: bool = False

    def __post_init__(self) -> None:
        self._by_type = {model.event_type: handler for model, handler in self.handlers.items()}
        self._after_loss = BrokerLossRecovery(self.group_id)
        registry = self.processed.database["consumer_sessions"]
        self._sessions = SessionRegistry(
            self.mongo,
            registry,
            self.group_id,
            # Silent this long, a member is out of the Kafka group as well: it is gone.
            stale_after=timedelta(milliseconds=self.settings.kafka_session_timeout_ms),
        )

    def rewind(self) -> None:
        """The broker lost its data: read the new logs from their start (see shared.healing)."""
        self._after_loss.note_loss()

    def stop(self) -> None:
        """Stop taking new records; the batch in hand is finished and committed."""
        self._stopping.set()

    async def run(self) -> None:
        consumer = await self._start_consumer()
        if consumer is None:
            return
        heartbeat = asyncio.create_task(self._keep_alive(), name=f"{self.group_id}-heartbeat")
        try:
            while consumer is not None and not self._stopping.is_set():
                consumer = await self._after_loss.before_poll(consumer, self._start_consumer)
                if consumer is None:
                    break
                batches = await consumer.getmany(timeout_ms=200, max_records=200)
                for partition, records in batches.items():
                    await self._process_partition(consumer, partition, records)
        finally:
            await cancel_and_wait(heartbeat)
            if consumer is not None:
                await consumer.stop()
            await self.dead_letters.close()
            await self._end_session()

    async def _own_session(self) -> AsyncClientSession:
        """Our transactions' session, claimed (the sessions other members left open killed)
        at the first use and again after every assignment: a member that takes over a dead
        one's partitions must not wait for the dead one's open transaction."""
        if self._session is None:
            session = self.mongo.start_session()
            try:
                await self._sessions.claim(session)
            except BaseException:
                await session.end_session()
                raise
            self._session, self._claimed = session, True
        elif not self._claimed:
            await self._sessions.claim(self._session)
            self._claimed = True
        return self._session

    async def _keep_alive(self) -> None:
        """Our session's heartbeat while we use it, which also ends the sessions of members
        gone since the last claim: a successor stalled on a dead member's transaction waits
        at most this long beyond the member's expiry, assignment or not. An idle member
        withdraws its record instead of beating (it holds no transaction anyone could wait
        on), so an idle desk writes nothing; its next transaction claims again first."""
        while True:
            await asyncio.sleep(self._sessions.beat_seconds)
            try:
                if self._in_transaction or self._used_since_beat:
                    self._used_since_beat = False
                    await self._sessions.beat()
                elif self._claimed:
                    self._claimed = False
                    await self._sessions.release()
                else:
                    await self._sessions.end_dead()
            except PyMongoError as error:  # the database is away: beat again next time
                log.warning("consumer.heartbeat_failed", group=self.group_id, error=repr(error))

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncClientSession]:
        """A transaction on our claimed session, marked as in hand for the heartbeat."""
        session = await self._own_session()
        self._in_transaction = self._used_since_beat = True
        try:
            async with transaction(self.mongo, session=session) as in_transaction:
                yield in_transaction
        finally:
            self._in_transaction = False

    def reclaim(self) -> None:
        """Partitions were assigned: claim the session again before the next transaction."""
        self._claimed = False

    async def _end_session(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            with contextlib.suppress(PyMongoError):  # the database is away: it expires
                await at_most(self._sessions.release(), "consumer_sessions.release")
            await session.end_session()

    async def _start_consumer(self) -> AIOKafkaConsumer | None:
        attempt = 0
        while not self._stopping.is_set():
            consumer = create_group_consumer(self.settings, self.group_id)
            consumer.subscribe(self.topics, listener=_ClaimOnAssignment(self))
            try:  # ``started`` closes a consumer whose start failed or was given up
                if await self._unless_stopping(started(consumer)):
                    return consumer
            except Exception as error:  # the broker is not up yet: try again
                attempt += 1
                log.warning("consumer.kafka_unavailable", group=self.group_id, error=repr(error))
                await self._sleep(self.retry.delay(attempt))
        return None

    async def _unless_stopping(self, starting: Awaitable[object]) -> bool:
        """Joining a group takes seconds; a shutdown meanwhile must not wait for it."""
        start = asyncio.ensure_future(starting)
        stopping = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({start, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not start.done():
            start.cancel()
            await asyncio.gather(start, return_exceptions=True)
            return False
        start.result()  # raises what start raised
        return True

    async def _process_partition(
        self, consumer: AIOKafkaConsumer, partition: TopicPartition, records: list[ConsumerRecord]
    ) -> None:
        next_offset = None
        for run in self._runs(records):
            if not await self._process_run(run):
                break  # shutting down mid-retry: leave the rest for the next owner
            next_offset = run[-1].offset + 1
        if next_offset is None:
            return
        try:
            await consumer.commit({partition: next_offset})
        except KafkaError as error:
            # The partition moved to another member mid-batch, or the broker refused the
            # commit (gone, or back without the topic): whoever reads the partition next sees
            # these records again and the processed-event markers make that harmless. Raised,
            # it would end this consumer's loop for good.
            log.warning("consumer.commit_failed", partition=str(partition), error=repr(error))

    def _runs(self, records: list[ConsumerRecord]) -> list[list[ConsumerRecord]]:
        """Consecutive records whose handlers are batchable form one run (idempotent ones a
        run of their own kind); others stand alone."""
        runs: list[list[ConsumerRecord]] = []
        joinable: _RunKind = None
        for record in records:
            kind = _run_kind(self._handler_of(record))
            if kind is not None and kind == joinable:
                runs[-1].append(record)
            else:
                runs.append([record])
            joinable = kind
        return runs

    def _handler_of(self, record: ConsumerRecord) -> EventHandler | None:
        """The handler the record's ``ce_type`` header names (None if unreadable or own)."""
        headers = dict(record.headers)
        source = headers.get("ce_source", b"").decode(errors="replace")
        if self.own_source is not None and source == self.own_source:
            return None
        return self._by_type.get(headers.get("ce_type", b"").decode(errors="replace"))

    async def _process_run(self, run: list[ConsumerRecord]) -> bool:
        """The run in one transaction; if that fails, each half alone, down to single records
        (which retry and dead-letter as usual), so a poison record only splits its run."""
        if _run_kind(self._handler_of(run[0])) == "idempotent":
            return await self._apply_idempotent(run)
        if len(run) == 1:
            return await self._process(run[0])
        if await self._handle_together(run):
            return True
        middle = len(run) // 2
        return await self._process_run(run[:middle]) and await self._process_run(run[middle:])

    async def _apply_idempotent(self, run: list[ConsumerRecord]) -> bool:
        """Each record's writes in order, outside a transaction and without a marker (the
        consecutive events of a handler with ``many`` in one call); a record that fails (and
        every one after it) takes the single-record path, with its retries and dead letter,
        so the partition's order holds."""
        async with self.mongo.start_session() as session:
            start = 0
            while start < len(run):
                try:
                    group = self._same_handler(run, start)
                    events = [
                        ConsumedEvent(item.envelope, item.envelope.payload(), session)
                        for item in group
                    ]
                    await _apply_in_order(group[0].handler, events, self.app)
                except Exception as error:  # the careful path decides: retry or dead letter
                    log.info("consumer.idempotent_fallback", error=repr(error))
                    for rest in run[start:]:
                        if not await self._process(rest):
                            return False
                    return True
                for item in group:
                    self.metrics.consumed.labels(item.record.topic, "handled").inc()
                start += len(group)
        return True

    def _same_handler(self, run: list[ConsumerRecord], start: int) -> list[_Decoded]:
        """The record at ``start`` and, if its handler takes several at once, the records
        right after it that the same handler takes."""
        first = self._decoded(run[start])
        group = [first]
        if isinstance(first.handler, Batchable) and first.handler.many is not None:
            for record in run[start + 1 :]:
                item = self._decoded(record)
                if item.handler is not first.handler:
                    break
                group.append(item)
        return group

    async def _handle_together(self, run: list[ConsumerRecord]) -> bool:
        """One transaction for the whole run; False (nothing written) if any part failed."""
        try:
            decoded = [self._decoded(record) for record in run]
            fresh = _first_deliveries(decoded, seen=set())
            try:  # redeliveries are rare: the markers' unique ids find them, no read first
                await self._handle_in_one_transaction(list(fresh.values()))
            except _AlreadyProcessed:
                seen = await self._already_processed(list(fresh))
                fresh = _first_deliveries(decoded, seen)
                if fresh:
                    await self._handle_in_one_transaction(list(fresh.values()))
        except Exception as error:  # any failure: the halves are tried alone
            log.info("consumer.batch_split", records=len(run), error=repr(error))
            return False
        for item in decoded:
            outcome = "handled" if fresh.get(item.envelope.id) is item else "redelivery"
            self.metrics.consumed.labels(item.record.topic, outcome).inc()
        return True

    async def _handle_in_one_transaction(self, items: list[_Decoded]) -> None:
        started = time.perf_counter()
        async with self._transaction() as session:
            events = [
                (item.handler, ConsumedEvent(item.envelope, item.envelope.payload(), session))
                for item in items
            ]
            async with self._scopes(events):
                markers = [_marker(item.envelope) for item in items]
                try:
                    await self.processed.insert_many(markers, session=session)
                except BulkWriteError as error:
                    errors = error.details.get("writeErrors", [])
                    if errors and all(e.get("code") == DUPLICATE_KEY for e in errors):
                        raise _AlreadyProcessed from error
                    raise
                for handler, event in events:
                    await handler(event, self.app)
        self._committed(items[0].record.topic, len(items), started)

    def _committed(self, topic: str, events: int, started: float) -> None:
        self.metrics.transactions.labels(topic).observe(time.perf_counter() - started)
        self.metrics.transaction_events.labels(topic).observe(events)

    @contextlib.asynccontextmanager
    async def _scopes(
        self, events: list[tuple[EventHandler, ConsumedEvent]]
    ) -> AsyncIterator[None]:
        """The transaction scopes the handlers name, each entered once (in first-use order)
        with the events it will see."""
        scoped: dict[TransactionScope, list[ConsumedEvent]] = {}
        for handler, event in events:
            if isinstance(handler, Batchable) and handler.scope is not None:
                scoped.setdefault(handler.scope, []).append(event)
        async with AsyncExitStack() as stack:
            for scope, seen in scoped.items():
                await stack.enter_async_context(scope(seen, self.app))
            yield

    def _decoded(self, record: ConsumerRecord) -> _Decoded:
        envelope = Envelope.from_bytes(record.value)
        handler = self._by_type.get(envelope.type)
        if handler is None:
            raise UnknownEventType(envelope.type)
        return _Decoded(record, envelope, handler)

    async def _already_processed(self, event_ids: list[str]) -> set[str]:
        found = self.processed.find({"_id": {"$in": event_ids}}, {"_id": True})
        return {document["_id"] async for document in found}

    async def _process(self, record: ConsumerRecord) -> bool:
        """Handle or dead-letter one record; False only when shutdown interrupted it."""
        outcome = await self._outcome(record)
        if outcome is None:
            return False
        self.metrics.consumed.labels(record.topic, outcome).inc()
        return True

    async def _outcome(self, record: ConsumerRecord) -> Outcome | None:
        try:
            envelope = Envelope.from_bytes(record.value)
        except (ValueError, ValidationError) as error:
            await self.dead_letters.publish(record, self.group_id, error)
            return "dead_lettered"
        context = {
            "event_id": envelope.id,
            "event_type": envelope.type,
            "correlation_id": envelope.correlationid,
            "topic": record.topic,
        }
        with bound_context(**context):
            return await self._handle_with_retries(record, envelope)

    async def _handle_with_retries(
        self, record: ConsumerRecord, envelope: Envelope
    ) -> Outcome | None:
        handler = self._by_type.get(envelope.type)
        if envelope.source == self.own_source:
            return "ignored"  # its own event: the effect was written when it was published
        if handler is None:
            return await self._without_handler(record, envelope)
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._handle_once(handler, envelope, record.topic)
                return "handled"
            except _AlreadyProcessed:
                log.info("consumer.redelivery_skipped")
                return "redelivery"
            except (PoisonEvent, UnknownEventType, ValidationError) as error:
                await self.dead_letters.publish(record, self.group_id, error)
                return "dead_lettered"
            except Exception as error:  # classified: transient, or poison after N tries
                if not is_transient(error) and attempt >= self.retry.max_attempts:
                    await self.dead_letters.publish(record, self.group_id, error)
                    return "dead_lettered"
                log.warning("consumer.retrying", attempt=attempt, error=describe(error))
                if self._stopping.is_set():
                    return None
                await self._sleep(self.retry.delay(attempt))

    async def _without_handler(self, record: ConsumerRecord, envelope: Envelope) -> Outcome:
        """A known type this service does not need is ignored. An unknown one of the
        topic's own family (a producer ahead of the contracts, a typo) is dead-lettered so
        somebody sees it; an unknown one of another family is only counted."""
        if envelope.type in EVENT_TYPES:
            return "ignored"
        stream = Topics(self.settings.topic_prefix).owner_of(record.topic)
        if stream is not None and belongs_to(envelope.type, stream):
            reason = UnknownEventType(
                f"{envelope.type} is of the {stream} stream's family, but no contract or "
                "handler knows it"
            )
            await self.dead_letters.publish(record, self.group_id, reason)
            return "dead_lettered"
        self.metrics.foreign_types.labels(record.topic, envelope.type[:120]).inc()
        return "ignored"

    async def _handle_once(self, handler: EventHandler, envelope: Envelope, topic: str) -> None:
        payload = envelope.payload()
        started = time.perf_counter()
        async with self._transaction() as session:
            event = ConsumedEvent(envelope, payload, session)
            async with self._scopes([(handler, event)]):
                try:
                    await self.processed.insert_one(_marker(envelope), session=session)
                except DuplicateKeyError as duplicate:
                    raise _AlreadyProcessed from duplicate
                await handler(event, self.app)
        self._committed(topic, 1, started)

    async def _sleep(self, seconds: float) -> None:
        await until_set(self._stopping, seconds)


_RunKind = Literal["batchable", "idempotent"] | None


async def _apply_in_order(
    handler: EventHandler, events: list[ConsumedEvent[Any]], app: web.Application
) -> None:
    if len(events) > 1 and isinstance(handler, Batchable) and handler.many is not None:
        await handler.many(events, app)
        return
    for event in events:
        await handler(event, app)


def _run_kind(handler: EventHandler | None) -> _RunKind:
    if not isinstance(handler, Batchable):
        return None
    return "idempotent" if handler.idempotent else "batchable"


def _first_deliveries(decoded: list[_Decoded], seen: set[str]) -> dict[str, _Decoded]:
    """The records not processed before, each event once (a repeat within a run is its
    redelivery), by event id in the run's order."""
    fresh: dict[str, _Decoded] = {}
    for item in decoded:
        if item.envelope.id not in seen:
            fresh.setdefault(item.envelope.id, item)
    return fresh


def _marker(envelope: Envelope) -> Document:
    """The processed-event marker: its unique ``_id`` makes a redelivery a no-op."""
    return {"_id": envelope.id, "type": envelope.type, "at": utc_now()}


class _ClaimOnAssignment(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runner: ConsumerRunner) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: object) -> None:
        pass

    async def on_partitions_assigned(self, assigned: object) -> None:
        self.runner.reclaim()
