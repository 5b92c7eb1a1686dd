"""The outbox relay: a background task that publishes pending outbox rows to Kafka."""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from pymongo import ASCENDING
from pymongo.errors import PyMongoError

from shared.kafka import LazyProducer, ProducerFactory
from shared.logs import get_logger
from shared.metrics import ServiceMetrics
from shared.mongo import Document
from shared.outbox import Lease, Outbox

log = get_logger(__name__)


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
    ) -> None:
        self.metrics = metrics
        self.outbox = outbox
        self.producer = LazyProducer(producer_factory)
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.retention = retention
        self.batch_size = batch_size
        self.kafka_down_since: datetime | None = None
        self._last_purge = datetime.min.replace(tzinfo=UTC)

    async def run(self) -> None:
        """Relay until cancelled; survives Kafka and MongoDB outages by retrying."""
        try:
            while True:
                published = 0
                try:
                    if await self.lease.acquire():
                        published = await self.publish_pending()
                        await self._purge_now_and_then()
                except PyMongoError as error:
                    log.warning("outbox.mongo_unavailable", error=str(error))
                if published < self.batch_size:  # a full batch means more is waiting
                    await self._wait_for_work()
        finally:
            await asyncio.shield(self.close())

    async def publish_pending(self) -> int:
        """One pass: publish up to a batch of pending rows; returns how many were sent."""
        rows = (
            await self.outbox.collection.find({"sent_at": None})
            .sort("_id", ASCENDING)
            .limit(self.batch_size)
            .to_list()
        )
        if not rows:
            return 0
        producer = await self._producer()
        if producer is None:
            return 0
        sent_ids = await self._send_in_order(producer, rows)
        if sent_ids:
            await self.outbox.collection.update_many(
                {"_id": {"$in": sent_ids}}, {"$set": {"sent_at": datetime.now(UTC)}}
            )
        self.metrics.outbox_published.inc(len(sent_ids))
        return len(sent_ids)

    async def _send_in_order(
        self, producer: AIOKafkaProducer, rows: list[Document]
    ) -> list[object]:
        """Sends every row; returns the ids of the longest prefix the broker acknowledged.

        Stopping at the first failure keeps per-aggregate order: a later row of the same
        aggregate is never marked sent before an earlier one. A row acknowledged after a
        failed one is sent again next pass, which idempotent consumers absorb.
        """
        deliveries = []
        try:
            for row in rows:
                deliveries.append(
                    await producer.send(
                        row["topic"],
                        value=bytes(row["value"]),
                        key=row["key"].encode(),
                        headers=[(name, bytes(value)) for name, value in row["headers"]],
                    )
                )
        except Exception as error:  # any send failure means "try later"
            log.warning("outbox.send_failed", error=repr(error))
        sent: list[object] = []
        for row, delivery in zip(rows, deliveries, strict=False):
            try:
                await delivery
            except Exception as error:  # a broker error: the row stays pending
                self._mark_kafka_down(error)
                break
            sent.append(row["_id"])
        else:
            self._mark_kafka_up()
        return sent

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
        self.outbox.wakeup.clear()
        try:
            async with asyncio.timeout(self.poll_seconds):
                await self.outbox.wakeup.wait()
        except TimeoutError:
            pass

    async def _purge_now_and_then(self) -> None:
        now = datetime.now(UTC)
        if now - self._last_purge >= timedelta(minutes=1):
            self._last_purge = now
            await self.purge_expired(now)

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
            await self.lease.release()
