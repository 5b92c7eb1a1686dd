"""The outbox relay: a background task that publishes outbox rows to Kafka in order.

A pass reads the cursor (``shared.outbox_cursor``: the highest sequence published and the
gaps below it) and the counter (or, right after its own cursor write left numbers to do,
takes both from that pass), and when there is work: reads the next batch of numbers (the
gaps, then the numbers after the mark) in bounded index ranges, hands every row's events
(one, or several a transaction packed together) to the producer in record batches per
partition (``send_in_batches``), awaits the acknowledgements together and writes the
cursor once, in the lease document, naming the holder and the version it read (and
renewing the lease).

Why nothing is lost and nothing overtakes:

- A row that commits late inside a range already passed is a gap; gaps are read on every
  pass, so it is published when it appears.
- A relay killed after publishing and before its cursor write leaves the cursor where it
  was: its successor publishes that batch again (consumers are idempotent), nothing else.
- Only the holder's write moves the cursor, and only from the version it read: a second
  relay whose lease ran out, or a pass that began before a replay, writes nothing.
- A failure part-way settles only what ``acknowledged_in_order`` allows: a row whose
  records were all acknowledged, and a key's later row never while an earlier one is not
  (a row of several events holds back every key it carries); the rest become gaps, sent
  again.
- A gap older than the horizon (well past any transaction's lifetime) is closed with a
  tombstone row under its number; a transaction still holding that number then fails on
  it and retries with new numbers (``shared.outbox``), so closing a gap never loses a row.

An idle relay reads two small documents per poll (and its gaps' rows, while it has gaps)
and writes nothing.
"""

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pymongo
from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from pymongo.errors import BulkWriteError, PyMongoError

from shared.clock import utc_now
from shared.kafka import MAX_REQUEST_BYTES, LazyProducer, ProducerFactory, PublishGuard
from shared.logs import get_logger
from shared.metrics import ServiceMetrics
from shared.mongo import Document
from shared.outbox import Lease, Outbox, Record, row_records
from shared.outbox_cursor import Cursor, Plan
from shared.tasks import at_most, until_set

log = get_logger(__name__)
PURGE_EVERY = timedelta(minutes=10)
TOMBSTONES_PER_PASS = 10_000
"""At most this many numbers of expired gaps are closed in one pass (an aborted block of
a huge transaction is closed over several)."""
ANSWER_SECONDS = 60.0
"""The longest a pass waits for the producer's metadata or acknowledgements. aiokafka fails
or retries a request within its request timeout (10 s) and expires a batch after it, so
only a client that stopped answering (a background task of its own that died) reaches
this: its records stay pending and the relay starts a fresh producer."""


class Unanswered(TimeoutError):
    """The producer gave no answer within ``ANSWER_SECONDS``."""


@dataclass(frozen=True, slots=True)
class Unpacked:
    """A live row's number and its records, in order."""

    seq: int
    records: list[Record]


def acknowledged_in_order(
    rows: Sequence[Unpacked], outcomes: Sequence[BaseException | None]
) -> list[Unpacked]:
    """The rows that may be settled: every record acknowledged, and after no unsettled row
    of a key they carry. So only the unacknowledged tail of each key is sent again, and a
    key's later event is never settled before its earlier one (consumers absorb the
    repeats). ``outcomes`` has one entry per record, the rows' records in order."""
    if len(outcomes) == sum(len(row.records) for row in rows) and all(
        outcome is None for outcome in outcomes
    ):
        return list(rows)  # every record acknowledged (the usual pass): no key to hold back
    held_back: set[str] = set()
    sent: list[Unpacked] = []
    position = 0
    for row in rows:
        acked = all(outcome is None for outcome in outcomes[position : position + len(row.records)])
        position += len(row.records)
        keys = {record.key for record in row.records}
        if acked and held_back.isdisjoint(keys):
            sent.append(row)
        else:
            held_back |= keys
    if position != len(outcomes):
        raise ValueError(f"{len(outcomes)} outcomes for {position} records")
    return sent


Lane = tuple[str, int]
"""A topic and one of its partitions: records of one key always take the same lane."""


async def send_in_batches(
    producer: AIOKafkaProducer, records: Sequence[Record], answer_seconds: float = ANSWER_SECONDS
) -> list[BaseException | None]:
    """Every record, in order per partition, as record batches the relay fills itself
    (``create_batch``/``send_batch``), then every acknowledgement awaited together; one
    outcome per record, None for acknowledged.

    ``send`` costs ~14 µs of Python per record (a coroutine, a metadata check, a size
    estimate, the partitioner, a future); appending to a batch ~1 µs. Records go where
    ``send`` would put them (the default partitioner, Java's murmur2 of the key over the
    topic's partitions), each partition's batches in order, so a key's order holds; a
    batch is acknowledged or fails as a whole, so each record's outcome is its batch's
    and ``acknowledged_in_order`` settles as before. Plain aiokafka API, for any broker
    (idempotent producers number the batches as they drain them, as for ``send``).

    Metadata and acknowledgements are awaited at most ``answer_seconds``: what has not
    answered by then fails with ``Unanswered`` (never cancelled: the producer owns its
    futures)."""
    outcomes: list[BaseException | None] = [None] * len(records)
    lanes: dict[Lane, list[int]] = {}
    for topic, indices in _by_topic(records).items():
        try:
            async with asyncio.timeout(answer_seconds):
                partitions = sorted(await producer.partitions_for(topic))
        except Exception as error:  # metadata unavailable: the topic's records stay pending
            if isinstance(error, TimeoutError):  # asyncio.timeout's (aiokafka's are KafkaErrors)
                error = Unanswered(f"no metadata in {answer_seconds} s")
            for index in indices:
                outcomes[index] = error
            continue
        chosen: dict[str, int] = {}  # a pass carries each key many times: hashed once
        for index in indices:
            key = records[index].key
            partition = chosen.get(key)
            if partition is None:
                partition = chosen[key] = PARTITIONER(key.encode(), partitions, partitions)
            lanes.setdefault((topic, partition), []).append(index)
    handed = await asyncio.gather(
        *(_hand_over(producer, lane, _batches(producer, records, indices, outcomes))
          for lane, indices in lanes.items())
    )  # fmt: skip
    deliveries = [delivery for lane in handed for delivery in lane]
    if deliveries:
        await asyncio.wait([future for _, future in deliveries], timeout=answer_seconds)
    for members, future in deliveries:
        failure = _failure_of(future, answer_seconds)
        if failure is not None:
            for index in members:
                outcomes[index] = failure
    return outcomes


def _failure_of(delivery: "asyncio.Future[object]", answer_seconds: float) -> BaseException | None:
    if not delivery.done():
        return Unanswered(f"no acknowledgement in {answer_seconds} s")
    if delivery.cancelled():
        return asyncio.CancelledError("the delivery was cancelled")
    return delivery.exception()


PARTITIONER = DefaultPartitioner()


def _by_topic(records: Sequence[Record]) -> dict[str, list[int]]:
    topics: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        topics.setdefault(record.topic, []).append(index)
    return topics


Batch = tuple[BatchBuilder, list[int]]
"""A filled record batch and the indices of the records it holds, in order."""


def _batches(
    producer: AIOKafkaProducer,
    records: Sequence[Record],
    indices: list[int],
    outcomes: list[BaseException | None],
) -> list[Batch]:
    """One lane's records in batches of the producer's batch size (a record larger than
    that alone in one; one larger than a request is refused, as ``send`` refuses it)."""
    batches: list[Batch] = []
    builder: BatchBuilder = producer.create_batch()
    members: list[int] = []
    for index in indices:
        record = records[index]
        key = record.key.encode()
        while builder.append(timestamp=None, key=key, value=record.value,
                             headers=record.headers) is None:  # fmt: skip
            batches.append((builder, members))  # full (an empty batch takes any record)
            builder, members = producer.create_batch(), []
        members.append(index)
    batches.append((builder, members))
    kept: list[Batch] = []
    for builder, members in batches:
        if len(members) == 1 and builder.size() > MAX_REQUEST_BYTES:
            outcomes[members[0]] = MessageSizeTooLargeError(
                f"{builder.size()} bytes, over the {MAX_REQUEST_BYTES} a request may carry"
            )
        elif members:
            kept.append((builder, members))
    return kept


async def _hand_over(
    producer: AIOKafkaProducer, lane: Lane, batches: list[Batch]
) -> list[tuple[list[int], "asyncio.Future[object]"]]:
    """A lane's batches in order (the producer takes the next once the last is in a
    request); after one is refused (closed, or no room within the request timeout) the
    rest are not handed over either: their records fail with it and stay pending."""
    topic, partition = lane
    deliveries: list[tuple[list[int], asyncio.Future[object]]] = []
    for position, (builder, members) in enumerate(batches):
        try:
            future: asyncio.Future[object] = await producer.send_batch(
                builder, topic, partition=partition
            )
        except Exception as error:
            refused: asyncio.Future[object] = asyncio.get_running_loop().create_future()
            refused.set_exception(error)
            rest = [index for _, later in batches[position:] for index in later]
            return [*deliveries, (rest, refused)]
        deliveries.append((members, future))
    return deliveries


@dataclass
class ReadAhead:
    cursor: Cursor
    plan: Plan
    rows: "asyncio.Task[list[Document]]"

    async def drop(self) -> None:
        """Cancel the read and wait for it to end, whatever it ended with. Not by awaiting it
        with ``CancelledError`` suppressed: a cancellation of the caller arriving meanwhile
        would be swallowed too, and a relay told to stop would go on relaying."""
        self.rows.cancel()
        await asyncio.wait([self.rows])
        if not self.rows.cancelled():
            self.rows.exception()  # a failed read of rows no one wants: retrieved, not logged


class OutboxRelay:
    """Publishes outbox rows in order, moves its cursor, purges rows past retention."""

    def __init__(
        self,
        outbox: Outbox,
        producer_factory: ProducerFactory,
        lease: Lease,
        *,
        poll_seconds: float,
        linger_seconds: float = 0.0,
        retention: timedelta,
        metrics: ServiceMetrics,
        batch_size: int = 500,
        guard: PublishGuard | None = None,
        gap_horizon: timedelta = timedelta(seconds=120),
        answer_seconds: float = ANSWER_SECONDS,
    ) -> None:
        self.metrics = metrics
        self.outbox = outbox
        self.producer = LazyProducer(producer_factory)
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.linger_seconds = linger_seconds
        self.retention = retention
        self.batch_size = batch_size
        self.guard = guard
        self.gap_horizon = gap_horizon
        self.answer_seconds = answer_seconds
        self.kafka_down_since: datetime | None = None
        self._more = False  # the last pass left numbers after its batch
        self._known: tuple[Cursor, int] | None = None
        """The cursor this relay's own write left and the top it planned to, while numbers
        remain up to that top: the next pass starts from them without reading either."""
        self._ahead: ReadAhead | None = None
        self._last_purge = datetime.min.replace(tzinfo=UTC)

    async def run(self) -> None:
        """Relay until cancelled; survives Kafka and MongoDB outages by retrying."""
        try:
            while True:
                published = 0
                self.outbox.wakeup.clear()  # a commit during the pass wakes the next one
                try:
                    published = await self.relay_once()
                    await self._purge_now_and_then()
                except PyMongoError as error:
                    log.warning("outbox.mongo_unavailable", error=str(error))
                # Progress with more numbers waiting goes on at once; nothing published
                # (Kafka away, or nothing to do) waits for a commit or the poll.
                if not (published and self._more):
                    await self._wait_for_work()
        finally:
            await asyncio.shield(self.close())

    async def relay_once(self) -> int:
        """One pass if there is work: the lease is taken (or renewed) only then, so an idle
        relay only reads; returns how many events the broker acknowledged (of the rows it
        settled)."""
        known, self._known = self._known, None
        if known is not None and self.lease.fresh:
            # Its own write moved the cursor there and numbers remain up to that top: no
            # need to read either (rows numbered since are found once it gets there). A
            # replay or another holder since then changed the version, so this pass's
            # write moves nothing and the next one reads again.
            cursor, top = known
            return await self._pass(cursor, top)
        _, top = await self.outbox.bounds()
        cursor = await self.outbox.cursor()
        if top <= cursor.published and not await self._gaps_need_work(cursor, top):
            self._more = False
            return 0
        renewing = not self.lease.fresh
        if not await self.lease.hold():
            return 0
        if renewing:  # another holder may have moved it since the read above
            cursor = await self.outbox.cursor()
        return await self._pass(cursor, top)

    async def _gaps_need_work(self, cursor: Cursor, top: int) -> bool:
        """Whether a gap has a row now or is due to be closed: an open gap (a transaction
        in flight, or one that aborted, until the horizon) alone is read, not worked on,
        so it takes no lease and writes nothing."""
        if cursor.settled:
            return False
        if cursor.expired(utc_now() - self.gap_horizon):
            return True
        return bool(await self._read(cursor, cursor.plan(top, self.batch_size)))

    async def _pass(self, cursor: Cursor, top: int) -> int:
        plan = cursor.plan(top, self.batch_size)
        rows = await self._rows(cursor, plan)
        live = [Unpacked(row["seq"], row_records(row)) for row in rows if not row.get("tombstone")]
        settled: list[int] = [row["seq"] for row in rows if row.get("tombstone")]
        acknowledged: list[Unpacked] = []
        if live:
            records = [record for row in live for record in row.records]
            producer = await self._producer()
            if producer is None or not await self._guarded(producer, records):
                return 0
            epoch = self.guard.epoch if self.guard else 0
            seen = [row["seq"] for row in rows]
            self._read_ahead(cursor.after(plan, seen, seen, utc_now()), top)
            acknowledged = acknowledged_in_order(live, await self._send_all(producer, records))
            if self.guard and self.guard.epoch != epoch:
                return 0  # a heal began meanwhile: its replay sends these rows again
            settled += [row.seq for row in acknowledged]
        now = utc_now()
        moved = cursor.after(plan, [row["seq"] for row in rows], settled, now)
        moved = await self._close_expired(moved, now)
        stored: Cursor | None = moved  # what the lease document holds after this pass
        if moved.fields() != cursor.fields():
            written = await self._write(cursor, moved)
            stored = replace(moved, version=cursor.version + 1) if written else None
        self._more = top > moved.published
        if stored is not None and self._more:
            self._known = (stored, top)
        events = sum(len(row.records) for row in acknowledged)
        self.metrics.outbox_published.inc(events)
        return events

    def _read_ahead(self, hoped: Cursor, top: int) -> None:
        """Read the next batch while the broker acknowledges this one, planned from the
        cursor this pass writes if every row is acknowledged; used only if the next pass
        starts from exactly that cursor (else dropped). The database's read and the
        broker's acknowledgements then overlap instead of adding up."""
        plan = hoped.plan(top, self.batch_size)
        if plan.window is not None or plan.gaps:
            task = asyncio.create_task(self._read(hoped, plan))
            self._ahead = ReadAhead(hoped, plan, task)

    async def _rows(self, cursor: Cursor, plan: Plan) -> list[Document]:
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            if ahead.cursor.fields() == cursor.fields() and ahead.plan == plan:
                return await ahead.rows
            await ahead.drop()
        return await self._read(cursor, plan)

    async def _read(self, cursor: Cursor, plan: Plan) -> list[Document]:
        """The plan's rows in order, in a few bounded reads (an ``$or`` of ranges or an
        ``$in`` of numbers scans the whole collection on some engines)."""
        rows: list[Document] = []
        ranges = plan.ranges(join=self.batch_size // 4)
        for low, high in ranges:
            rows += await self.outbox.rows(low, high)
        if len(ranges) == len(plan.pieces):
            return rows  # each read is one piece of the plan, which holds only wanted numbers
        return [row for row in rows if plan.covers(row["seq"]) and cursor.wanted(row["seq"])]

    async def _write(self, read: Cursor, moved: Cursor) -> bool:
        """The cursor, moved in one write that also renews the lease; nothing (False) when
        another relay holds the lease or a replay moved the cursor since it was read."""
        started, expires = self.lease.terms()
        version = read.version or {"$in": [None, 0]}  # a lease written before any pass
        written = await self.lease.collection.update_one(
            {"_id": self.lease.name, "holder": self.lease.holder, "version": version},
            {"$set": {**moved.fields(), "expires_at": expires}, "$inc": {"version": 1}},
        )
        if written.matched_count:
            self.lease.renewed(started)
            return True
        # Sent again by whoever moves the cursor next.
        self.lease.lost()
        log.info("outbox.cursor_moved_elsewhere", lease=self.lease.name)
        return False

    async def _close_expired(self, cursor: Cursor, now: datetime) -> Cursor:
        """Close gaps older than the horizon with tombstones; a number whose row exists
        (it committed meanwhile) stays a gap and is read next pass."""
        numbers = [n for gap in cursor.expired(now - self.gap_horizon)
                   for n in range(gap.low, gap.high + 1)][:TOMBSTONES_PER_PASS]  # fmt: skip
        if not numbers:
            return cursor
        stones = [{"_id": n, "seq": n, "tombstone": True, "key": None, "created_at": now}
                  for n in numbers]  # fmt: skip
        taken: set[int] = set()
        try:
            # Bounded: on some engines the insert waits for a transaction holding the number.
            with pymongo.timeout(2):
                await self.outbox.collection.insert_many(stones, ordered=False)
        except BulkWriteError as error:
            taken = {numbers[e["index"]] for e in error.details.get("writeErrors", [])}
        except PyMongoError as error:
            log.info("outbox.gap_close_deferred", error=str(error))
            return cursor
        closed = [n for n in numbers if n not in taken]
        log.info("outbox.gaps_closed", numbers=len(closed), still_missing=len(taken))
        return cursor.without(closed)

    async def _send_all(
        self, producer: AIOKafkaProducer, records: list[Record]
    ) -> list[BaseException | None]:
        """Hands every record to the producer in record batches, then awaits all
        acknowledgements together; one outcome per record, None for acknowledged."""
        outcomes = await send_in_batches(producer, records, self.answer_seconds)
        failure = next((outcome for outcome in outcomes if outcome is not None), None)
        if failure is None:
            self._mark_kafka_up()
        else:
            self._mark_kafka_down(failure)
        if any(isinstance(outcome, Unanswered) for outcome in outcomes):
            # A producer that stopped answering would never answer again: the next pass
            # starts a fresh one. Its stop may wait on what it never delivered, so briefly.
            log.warning("outbox.producer_unanswering", error=str(failure))
            await at_most(self.producer.close(), "producer.stop")
        return outcomes

    async def _guarded(self, producer: AIOKafkaProducer, records: list[Record]) -> bool:
        """Publish only to topics the broker has: one that lost a topic may still ack."""
        if self.guard is None:
            return True
        topics = {record.topic for record in records}
        try:
            if await self.guard.topics_exist(producer, topics):
                return True
            error: Exception = LookupError(f"topics missing on the broker: {sorted(topics)}")
        except Exception as failure:  # metadata unavailable: treat as down
            error = failure
        self._mark_kafka_down(error)
        return False

    async def _producer(self) -> AIOKafkaProducer | None:
        try:
            return await self.producer.get()
        except Exception as error:  # Kafka unreachable: rows stay pending
            self._mark_kafka_down(error)
            return None

    def _mark_kafka_down(self, error: BaseException) -> None:
        self.metrics.outbox_failures.inc()
        if self.kafka_down_since is None:
            self.kafka_down_since = utc_now()
            log.warning("outbox.kafka_unavailable", error=repr(error))

    def _mark_kafka_up(self) -> None:
        if self.kafka_down_since is not None:
            log.info("outbox.kafka_recovered", down_since=self.kafka_down_since.isoformat())
            self.kafka_down_since = None

    async def _wait_for_work(self) -> None:
        # Woken at once by a commit in this process (Outbox.nudge); rows written elsewhere
        # (another replica, the CLI, a replay) are found by the poll, which only reads.
        woken = await until_set(self.outbox.wakeup, self.poll_seconds)
        if woken and self.linger_seconds:  # commits close behind share the pass (settings)
            await asyncio.sleep(self.linger_seconds)

    async def _purge_now_and_then(self) -> None:
        now = utc_now()
        # Only while holding the lease for work: an idle relay writes nothing.
        if now - self._last_purge >= PURGE_EVERY and self.lease.fresh:
            self._last_purge = now
            await self.purge_expired(now)

    async def purge_expired(self, now: datetime) -> int:
        """Delete settled rows older than the retention, from the lowest up (a TTL index
        would do the same, but not every MongoDB-wire engine honours one). Numbers are
        read a batch at a time first, so when nothing has expired nothing is written."""
        lease = await self.lease.collection.find_one({"_id": self.lease.name}) or {}
        cursor = Cursor.from_document(lease)
        low, _ = await self.outbox.bounds()
        floor = max(low, lease.get("purged_below", low))
        settled = min([cursor.published, *(gap.low - 1 for gap in cursor.gaps)])
        bound = floor - 1
        while bound < settled:
            high = min(settled, bound + self.batch_size)
            fresh = [row["seq"] for row in await self.outbox.rows(bound + 1, high)
                     if row["created_at"] >= now - self.retention]  # fmt: skip
            bound = fresh[0] - 1 if fresh else high
            if fresh:
                break
        if bound < floor:
            return 0
        result = await self.outbox.collection.delete_many({"seq": {"$gte": floor, "$lte": bound}})
        await self.lease.collection.update_one(
            {"_id": self.lease.name}, {"$max": {"purged_below": bound + 1}}, upsert=True
        )
        return result.deleted_count

    async def close(self) -> None:
        """Stop the producer and hand the lease on."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            await ahead.drop()
        await self.producer.close()
        with contextlib.suppress(PyMongoError):  # else the lease expires by itself
            await at_most(self.lease.release(), "lease.release")
