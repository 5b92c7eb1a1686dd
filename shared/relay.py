"""The outbox relay: a background task that publishes pending outbox rows to Kafka."""

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from bson import ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.errors import PyMongoError

from shared.kafka import LazyProducer, ProducerFactory, PublishGuard
from shared.logs import get_logger
from shared.metrics import ServiceMetrics
from shared.mongo import Document
from shared.outbox import Lease, Outbox
from shared.tasks import at_most, until_set

log = get_logger(__name__)


def acknowledged_in_order(
    rows: Sequence[Document], outcomes: Sequence[BaseException | None]
) -> list[object]:
    """Ids of the rows that may be marked sent: acknowledged, and after no unacknowledged
    row of the same key. So only the unacknowledged tail of each key is sent again, and a
    key's later event is never marked sent before its earlier one (consumers absorb the
    repeats)."""
    held_back: set[str] = set()
    sent: list[object] = []
    for row, outcome in zip(rows, outcomes, strict=True):
        if outcome is None and row["key"] not in held_back:
            sent.append(row["_id"])
        else:
            held_back.add(row["key"])
    return sent


class OutboxRelay:
    """Publishes pending rows in order, marks them sent, purges rows past retention."""

    def __init__(
        self,
        outbox: Outbox,
        producer_factory: ProducerFactory,
        lease: Lease,
        *,
        poll_seconds: float,
        retention: timedelta,
        metrics: ServiceMetrics,
        batch_size: int = 500,
        guard: PublishGuard | None = None,
    ) -> None:
        self.metrics = metrics
        self.outbox = outbox
        self.producer = LazyProducer(producer_factory)
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.retention = retention
        self.batch_size = batch_size
        self.guard = guard
        self.kafka_down_since: datetime | None = None
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
                if published < self.batch_size:  # a full batch means more is waiting
                    await self._wait_for_work()
        finally:
            await asyncio.shield(self.close())

    async def relay_once(self) -> int:
        """One pass if there is work: the lease is taken (or renewed) only then, so an idle
        relay only reads; returns how many rows the broker acknowledged."""
        if not self.lease.fresh and await self._pending().limit(1).to_list() == []:
            return 0
        if not await self.lease.hold():
            return 0
        return await self.publish_pending()

    def _pending(self) -> AsyncCursor[Document]:
        return self.outbox.collection.find({"sent_at": None}).sort("_id", ASCENDING)

    async def publish_pending(self) -> int:
        """Publish up to a batch of pending rows in order, awaiting the broker's
        acknowledgements together, and mark the acknowledged ones sent in one write."""
        rows = await self._pending().limit(self.batch_size).to_list()
        if not rows:
            return 0
        producer = await self._producer()
        if producer is None or not await self._guarded(producer, rows):
            return 0
        epoch = self.guard.epoch if self.guard else 0
        sent_ids = acknowledged_in_order(rows, await self._send_all(producer, rows))
        if self.guard and self.guard.epoch != epoch:
            sent_ids = []  # a heal began meanwhile: its replay re-sends these rows
        if len(sent_ids) == len(rows):
            await self._mark_range_sent(sent_ids)
        elif sent_ids:  # part-way failure: the acknowledged rows one by one
            await self.outbox.collection.update_many(
                {"_id": {"$in": sent_ids}}, {"$set": {"sent_at": datetime.now(UTC)}}
            )
        self.metrics.outbox_published.inc(len(sent_ids))
        return len(sent_ids)

    async def _mark_range_sent(self, ids: list[object]) -> None:
        """Mark a whole batch sent by its id range: one cheap write instead of matching
        each id (an ``$in`` of hundreds of ids is slow on some engines).

        A transaction that committed after the batch was read may have a row inside the
        range (its id was taken before its commit); such a row would be marked too. This
        relay holds the lease, so every row of the batch was pending and is modified: more
        modified rows than the batch means late rows were swept, and they are put back.
        """
        batch = ObjectId()
        within = {"$gte": ids[0], "$lte": ids[-1]}
        result = await self.outbox.collection.update_many(
            {"_id": within, "sent_at": None},
            {"$set": {"sent_at": datetime.now(UTC), "sent_batch": batch}},
        )
        if result.modified_count > len(ids):
            await self.outbox.collection.update_many(
                {"_id": {**within, "$nin": ids}, "sent_batch": batch},
                {"$set": {"sent_at": None}, "$unset": {"sent_batch": True}},
            )

    async def _send_all(
        self, producer: AIOKafkaProducer, rows: list[Document]
    ) -> list[BaseException | None]:
        """Hands every row to the producer (which batches them per partition), then awaits
        all acknowledgements together; one outcome per row, None for acknowledged."""
        deliveries = [await self._send(producer, row) for row in rows]
        results = await asyncio.gather(*deliveries, return_exceptions=True)
        outcomes = [result if isinstance(result, BaseException) else None for result in results]
        failure = next((outcome for outcome in outcomes if outcome is not None), None)
        if failure is None:
            self._mark_kafka_up()
        else:
            self._mark_kafka_down(failure)
        return outcomes

    @staticmethod
    async def _send(producer: AIOKafkaProducer, row: Document) -> "asyncio.Future[object]":
        try:
            delivery: asyncio.Future[object] = await producer.send(
                row["topic"],
                value=bytes(row["value"]),
                key=row["key"].encode(),
                headers=[(name, bytes(value)) for name, value in row["headers"]],
            )
            return delivery
        except Exception as error:  # refused before sending (too large, closed): stays pending
            refused: asyncio.Future[object] = asyncio.get_running_loop().create_future()
            refused.set_exception(error)
            return refused

    async def _guarded(self, producer: AIOKafkaProducer, rows: list[Document]) -> bool:
        """Publish only to topics the broker has: one that lost a topic may still ack."""
        if self.guard is None:
            return True
        topics = {row["topic"] for row in rows}
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
            self.kafka_down_since = datetime.now(UTC)
            log.warning("outbox.kafka_unavailable", error=repr(error))

    def _mark_kafka_up(self) -> None:
        if self.kafka_down_since is not None:
            log.info("outbox.kafka_recovered", down_since=self.kafka_down_since.isoformat())
            self.kafka_down_since = None

    async def _wait_for_work(self) -> None:
        # Woken at once by a commit in this process (Outbox.nudge); rows written elsewhere
        # (another replica, the CLI, a replay) are found by the poll, which only reads.
        await until_set(self.outbox.wakeup, self.poll_seconds)

    async def _purge_now_and_then(self) -> None:
        now = datetime.now(UTC)
        if now - self._last_purge >= timedelta(minutes=1):
            self._last_purge = now
            expired = {"sent_at": {"$lt": now - self.retention}}
            if await self.outbox.collection.find_one(expired, {"_id": True}) is not None:
                await self.purge_expired(now)  # a read first: an idle desk writes nothing

    async def purge_expired(self, now: datetime) -> int:
        """Delete rows sent longer ago than the retention (a TTL index would do the same,
        but not every MongoDB-wire engine honours one); returns how many went."""
        result = await self.outbox.collection.delete_many(
            {"sent_at": {"$lt": now - self.retention}}
        )
        return result.deleted_count

    async def close(self) -> None:
        """Stop the producer and hand the lease on."""
        await self.producer.close()
        with contextlib.suppress(PyMongoError):  # else the lease expires by itself
            await at_most(self.lease.release(), "lease.release")
