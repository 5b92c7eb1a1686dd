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
PLAN_BATCHES = 40
"""How many batches of a backlog one read of pending ids plans (see ``_next_rows``)."""


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
        linger_seconds: float = 0.0,
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
        self.linger_seconds = linger_seconds
        self.retention = retention
        self.batch_size = batch_size
        self.guard = guard
        self.kafka_down_since: datetime | None = None
        self._bounds: list[object] = []  # see _next_rows
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
                # A full batch, or any progress through planned windows, means more is
                # waiting; nothing published (Kafka away) waits whatever was planned.
                if published < self.batch_size and not (published and self._bounds):
                    await self._wait_for_work()
        finally:
            await asyncio.shield(self.close())

    async def relay_once(self) -> int:
        """One pass if there is work: the lease is taken (or renewed) only then, so an idle
        relay only reads; returns how many rows the broker acknowledged."""
        # While draining a backlog (windows planned) there is work by definition: the
        # check would cost as much as a batch on engines that read every pending row.
        idle_check = not self.lease.fresh and not self._bounds
        if idle_check and await self._pending().limit(1).to_list() == []:
            return 0
        if not await self.lease.hold():
            self._bounds.clear()  # another relay publishes: what we planned may be sent
            return 0
        return await self.publish_pending()

    def _pending(self) -> AsyncCursor[Document]:
        return self._in_order(self.outbox.collection.find({"sent_at": None}))

    def _in_order(self, cursor: AsyncCursor[Document]) -> AsyncCursor[Document]:
        # A whole batch in the first reply: the default first batch (101 rows) cost a
        # getMore round trip per batch.
        return cursor.sort("_id", ASCENDING).batch_size(self.batch_size + 1)

    async def publish_pending(self) -> int:
        """Publish up to a batch of pending rows in order, awaiting the broker's
        acknowledgements together, and mark the acknowledged ones sent in one write."""
        claimed = await self._claimed(await self._next_rows())
        if claimed is None:
            return 0
        claim, within, rows = claimed
        producer = await self._producer()
        if producer is None or not await self._guarded(producer, rows):
            return 0
        epoch = self.guard.epoch if self.guard else 0
        sent_ids = acknowledged_in_order(rows, await self._send_all(producer, rows))
        if self.guard and self.guard.epoch != epoch:
            sent_ids = []  # a heal began meanwhile: its replay re-sends these rows
        if len(sent_ids) == len(rows):  # the claimed range: one cheap write
            await self.outbox.collection.update_many(
                {"_id": within, "sent_batch": claim, "sent_at": None},
                {"$set": {"sent_at": datetime.now(UTC)}},
            )
        elif sent_ids:  # part-way failure: the acknowledged rows one by one
            await self.outbox.collection.update_many(
                {"_id": {"$in": sent_ids}}, {"$set": {"sent_at": datetime.now(UTC)}}
            )
        self.metrics.outbox_published.inc(len(sent_ids))
        return len(sent_ids)

    async def _claimed(
        self, rows: list[Document]
    ) -> tuple[ObjectId, Document, list[Document]] | None:
        """The batch's id range tagged with a claim of this pass, and the rows it tagged.

        Rows are marked sent by id range and claim (an ``$in`` of hundreds of ids is slow
        on some engines). An id is taken before its transaction commits, so a row can
        commit late inside a range already read: it carries no claim, so the marking
        write leaves it pending, and a relay killed anywhere in the pass has marked
        nothing it did not publish. (An earlier form marked the range, then put late rows
        back in a second write: a SIGKILL between the two lost the row, found by
        ``jamp chaos``.) The claimed rows are read again, whatever the count of the
        claim said, since publishing exactly what will be marked is the point. A claim
        left behind is harmless: the row stays pending and the next claim overwrites it.
        """
        if not rows:
            return None
        claim = ObjectId()
        within: Document = {"$gte": rows[0]["_id"], "$lte": rows[-1]["_id"]}
        tagged = await self.outbox.collection.update_many(
            {"_id": within, "sent_at": None}, {"$set": {"sent_batch": claim}}
        )
        if tagged.modified_count == 0:
            return None
        window = {"_id": within, "sent_batch": claim, "sent_at": None}
        claimed = await self._in_order(self.outbox.collection.find(window)).to_list()
        return (claim, within, claimed) if claimed else None

    async def _next_rows(self) -> list[Document]:
        """The next batch of pending rows in order.

        A backlog is read by planned windows: when a read fills a whole batch, the ids of
        the pending rows after it are read once (ids only, up to ``PLAN_BATCHES``
        batches) and every ``batch_size``-th one becomes the upper bound of a later read,
        "every pending row up to this id". Some engines (SecantusDB) apply a sort's
        limit only after reading every row that matches, so reading "the first 500
        pending rows" of a backlog of N costs N, and draining it cost N²/500; a read
        bounded above costs its window. With no lower bound, a row that committed late
        with a smaller id is still read first, so per-key order holds.
        """
        while self._bounds:
            upper = self._bounds.pop(0)
            window = {"sent_at": None, "_id": {"$lte": upper}}
            rows = await self._in_order(self.outbox.collection.find(window)).to_list()
            if rows:
                return rows
        rows = await self._pending().limit(self.batch_size).to_list()
        if len(rows) == self.batch_size:
            self._bounds = await self._plan_after(rows[-1]["_id"])
        return rows

    async def _plan_after(self, last: object) -> list[object]:
        later = {"sent_at": None, "_id": {"$gt": last}}
        ids = [
            document["_id"]
            for document in await self.outbox.collection.find(later, {"_id": True})
            .sort("_id", ASCENDING)
            .limit(self.batch_size * PLAN_BATCHES)
            .to_list()
        ]
        bounds = ids[self.batch_size - 1 :: self.batch_size]
        if ids and (not bounds or bounds[-1] != ids[-1]):
            bounds.append(ids[-1])
        return bounds

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
        woken = await until_set(self.outbox.wakeup, self.poll_seconds)
        if woken and self.linger_seconds:  # commits close behind share the pass (settings)
            await asyncio.sleep(self.linger_seconds)

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
