"""The raw tail: every record of every topic of the desk, as the monitor's own group.

The shared ConsumerRunner dispatches typed payloads and dead-letters what it cannot read;
the monitor must see exactly those records too (unknown types, broken JSON, ``.dlq``
topics), so it reads raw records. Its group is its own: other groups are never joined.
"""

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from services.monitor.events.model import IndexedEvent, RawRecord
from shared.consumer import BrokerLossRecovery
from shared.kafka import create_group_consumer
from shared.logs import get_logger
from shared.settings import ServiceSettings
from shared.tasks import until_set

log = get_logger(__name__)
RecordSink = Callable[[list[RawRecord]], Awaitable[None]]
"""Takes a poll's records at once, every partition's: the index is written in one round
trip per poll (a registration's two events sit on two topics, so a write per partition
took two or more statements where one does)."""
RETRY_SECONDS = 0.5


def desk_topics_pattern(prefix: str) -> str:
    return rf"^{re.escape(prefix)}\..+"


@dataclass
class ConsumedEnds:
    """Per partition, the offset after the last record the tail read in this process: a
    lower bound of the log end the broker cannot get wrong (see ``streams.model.log_ends``)."""

    ends: dict[TopicPartition, int] = field(default_factory=dict)

    def note(self, partition: TopicPartition, next_offset: int) -> None:
        self.ends[partition] = max(self.ends.get(partition, 0), next_offset)

    def rewind(self) -> None:
        """The broker came back empty (shared.healing): its offsets start again at 0."""
        self.ends.clear()


@dataclass
class RawTail:
    settings: ServiceSettings
    group_id: str
    sink: RecordSink
    consumed: ConsumedEnds = field(default_factory=ConsumedEnds)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _after_loss: BrokerLossRecovery = field(init=False)

    def __post_init__(self) -> None:
        self._after_loss = BrokerLossRecovery(self.group_id)

    def stop(self) -> None:
        self._stopping.set()

    def rewind(self) -> None:
        """The broker lost its data: read the new logs from their start (see shared.healing);
        the index keeps each record once."""
        self._after_loss.note_loss()

    async def run(self) -> None:
        consumer = await self._start()
        try:
            while consumer is not None and not self._stopping.is_set():
                consumer = await self._after_loss.before_poll(consumer, self._start)
                if consumer is None:
                    break
                batches = await consumer.getmany(timeout_ms=200, max_records=500)
                if not batches:
                    continue
                # Each partition's records stay in order; partitions need no order.
                if not await self._deliver([r for records in batches.values() for r in records]):
                    return  # stopping mid-retry: the next start reads them again
                ends = {partition: records[-1].offset + 1 for partition, records in batches.items()}
                for partition, end in ends.items():
                    self.consumed.note(partition, end)
                await self._commit(consumer, ends)
        finally:
            if consumer is not None:
                await consumer.stop()

    async def _commit(self, consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> None:
        """One commit for the whole poll, as it was indexed in one write."""
        try:
            await consumer.commit(ends)
        except KafkaError as error:
            # A rebalance, or a broker that restarted without the group or the topic: whoever
            # owns the partitions next reads these records again, and the index keeps them
            # once. Raised, it would end the tail for good.
            partitions = sorted(str(partition) for partition in ends)
            log.warning("monitor.commit_failed", partitions=partitions, error=repr(error))

    async def _start(self) -> AIOKafkaConsumer | None:
        while not self._stopping.is_set():
            # Topics created later (a new service's stream) are picked up this soon.
            consumer = create_group_consumer(
                self.settings, self.group_id, metadata_max_age_ms=5_000
            )
            consumer.subscribe(pattern=desk_topics_pattern(self.settings.topic_prefix))
            try:
                await consumer.start()
                return consumer
            except Exception as error:  # the broker is not up yet: try again
                log.warning("monitor.kafka_unavailable", error=repr(error))
                await consumer.stop()
                await self._pause()
        return None

    async def _deliver(self, records: list[ConsumerRecord]) -> bool:
        raws = [_raw(record) for record in records]
        # The sink indexes a record it cannot store as far as it can (events.handlers), so
        # what fails here fails for every record: MongoDB away. Hold the poll and retry.
        while True:
            try:
                await self.sink(raws)
                return True
            except Exception as error:
                log.warning("monitor.index_failed", error=repr(error), offset=records[0].offset)
                if self._stopping.is_set():
                    return False
                await self._pause()

    async def _pause(self) -> None:
        await until_set(self._stopping, RETRY_SECONDS)


def _raw(record: ConsumerRecord) -> RawRecord:
    return RawRecord(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp_ms=record.timestamp,
        key=record.key,
        value=record.value,
        headers=list(record.headers),
    )


class TailHub:
    """Fans newly indexed events out to the open live-tail connections of this process."""

    def __init__(self, buffer: int = 1000) -> None:
        self.buffer = buffer
        self.subscribers: set[asyncio.Queue[IndexedEvent]] = set()

    def subscribe(self) -> asyncio.Queue[IndexedEvent]:
        queue: asyncio.Queue[IndexedEvent] = asyncio.Queue(self.buffer)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[IndexedEvent]) -> None:
        self.subscribers.discard(queue)

    def publish(self, event: IndexedEvent) -> None:
        for queue in self.subscribers:
            if queue.full():  # a slow browser loses its oldest events, not the others'
                queue.get_nowait()
            queue.put_nowait(event)
