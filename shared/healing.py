"""Healing after the broker lost data: no operator needed, whatever the broker.

A broker can come back empty (a memory-only one after a restart, a disk lost) or lose one
topic. Each service notices by itself, every few seconds:

- a topic of the desk is missing: it is created again;
- the *incarnation marker* changed: the first record of the desk's marker topic holds a
  random id written by whichever service found the topic empty. An empty broker has no
  marker, so somebody writes a new one, and every service sees an id other than the one
  it stored in its own database.

Either way the service heals: it moves its outboxes' relay cursors back to the start of
their retention window (the relay re-publishes it), rewinds its consumer group to the
start of the new logs (the processed-event markers absorb what it already handled) and
stores the new incarnation.
``/readyz`` says ``degraded`` until the re-published rows are on the broker again.
"""

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pymongo.asynchronous.collection import AsyncCollection

from shared.clock import utc_now
from shared.kafka import LazyProducer, ProducerFactory, missing_topics, started
from shared.logs import get_logger
from shared.mongo import Document
from shared.outbox import Outbox, replay_since
from shared.settings import ServiceSettings
from shared.topics import Topics

log = get_logger(__name__)
EVERYTHING = datetime.min.replace(tzinfo=UTC)
STATE_ID = "broker"


class Rewindable(Protocol):
    def rewind(self) -> None:
        """Go back to the start of every assigned partition at the next chance."""


def incarnation_topic(topics: Topics) -> str:
    """Outside ``<prefix>.*`` on purpose: it carries no events, and the monitor's tail
    (which reads every desk topic) has nothing to index there."""
    return f"{topics.prefix}-incarnation"


@dataclass
class BrokerHealer:
    settings: ServiceSettings
    topics: Topics
    state: AsyncCollection[Document]
    producer_factory: ProducerFactory
    outboxes: list[Outbox] = field(default_factory=list)
    consumers: list[Rewindable] = field(default_factory=list)
    check_seconds: float = 2.0
    epoch: int = 0
    """Bumped when a heal starts; a relay that sent across a heal leaves its rows pending."""
    healing: bool = False
    """Between noticing a loss and having re-published the window (readiness: degraded)."""
    _draining: dict[int, int] = field(default_factory=dict)
    # Checks ask about the desk's topics through the producer's connection; an admin client
    # is started only to create what is missing, and kept for later heals. Dropped after a
    # failed check, started again on use; no client is ever left half-started by a cancel
    # (see ``shared.kafka.started``).
    _admin: AIOKafkaAdminClient | None = None

    async def run(self) -> None:
        """Check until cancelled; a failed check (broker away) is retried at the next one."""
        producer = LazyProducer(self.producer_factory)
        try:
            while True:
                try:
                    # A broker that accepts connections but never answers must not stall
                    # the checks (nor a shutdown waiting for this task) for ever.
                    async with asyncio.timeout(max(10.0, 5 * self.check_seconds)):
                        await self.check(producer)
                except Exception as error:  # broker or database away: retried next time
                    log.warning("broker.check_failed", error=repr(error))
                    await self._close_clients(producer)
                await asyncio.sleep(self.check_seconds)
        finally:
            await asyncio.shield(self._close_clients(producer))

    async def _close_clients(self, producer: LazyProducer) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            await admin.close()
        await producer.close()

    async def check(self, producer: LazyProducer) -> None:
        """One look at the broker; heals when it lost data, else settles readiness."""
        created = await self._recreate_missing_topics(producer)
        incarnation = await self._incarnation(producer)
        stored = await self.state.find_one({"_id": STATE_ID})
        if created or (stored is not None and stored["incarnation"] != incarnation):
            await self.heal(incarnation, reason="topics missing" if created else "new broker")
        elif stored is None:
            # The first look of a new database: nothing it published can have been lost
            # yet, so re-publishing its outbox would only repeat events already delivered.
            await self._remember(incarnation)
        self.healing = not await self._drained()

    async def heal(self, incarnation: str, reason: str) -> None:
        """Re-publish the outboxes' retention window and rewind the consumers."""
        self.epoch += 1
        log.warning("broker.healing", reason=reason, incarnation=incarnation)
        for index, outbox in enumerate(self.outboxes):
            _, last = await outbox.bounds()
            replayed = await replay_since(outbox.collection, EVERYTHING)
            if replayed:
                self._draining[index] = last
                self.healing = True  # degraded until these are on the broker again
            outbox.nudge()
            log.info("broker.outbox_replayed", rows=replayed, outbox=outbox.collection.full_name)
        for consumer in self.consumers:
            consumer.rewind()
        await self._remember(incarnation)

    async def _remember(self, incarnation: str) -> None:
        await self.state.update_one(
            {"_id": STATE_ID},
            {"$set": {"incarnation": incarnation, "healed_at": utc_now()}},
            upsert=True,
        )

    async def _drained(self) -> bool:
        """True once every row pending since the last heal is on the broker again."""
        for index, last in list(self._draining.items()):
            if not await self.outboxes[index].published_through(last):
                return False
            del self._draining[index]
        return True

    async def _recreate_missing_topics(self, producer: LazyProducer) -> list[str]:
        marker = incarnation_topic(self.topics)
        client = (await producer.get()).client
        absent = await missing_topics(client, [*self.topics.all(), marker])
        missing = [name for name in self.topics.all() if name in absent]
        new = [NewTopic(name, 3, 1) for name in missing]
        if marker in absent:  # kept for ever: its first record is the identity
            new.append(NewTopic(marker, 1, 1, topic_configs={"retention.ms": "-1"}))
        if not new:
            return []
        if self._admin is None:
            self._admin = await started(
                AIOKafkaAdminClient(
                    bootstrap_servers=self.settings.kafka_bootstrap_servers,
                    client_id="jamp-healer",
                )
            )
        response = await self._admin.create_topics(new)
        # Only what this call created counts as lost: "already exists" means another
        # service was quicker, "not authorized" that this one may not see it.
        created = {error[0] for error in response.topic_errors if error[1] == 0}
        return [name for name in missing if name in created]

    async def _incarnation(self, producer: LazyProducer) -> str:
        """The broker's incarnation: the marker's first record, written if there is none."""
        found = await self._first_marker()
        if found is None:
            await _write_marker(await producer.get(), incarnation_topic(self.topics))
            found = await self._first_marker()
        if found is None:
            raise RuntimeError("the incarnation marker was written but cannot be read")
        return found

    async def _first_marker(self) -> str | None:
        # A reader of its own each time: one kept between checks answers late after a
        # seek back to the start (its fetch in flight at the old position comes first).
        partition = TopicPartition(incarnation_topic(self.topics), 0)
        consumer = await started(
            AIOKafkaConsumer(
                bootstrap_servers=self.settings.kafka_bootstrap_servers, enable_auto_commit=False
            )
        )
        try:
            consumer.assign([partition])
            await consumer.seek_to_beginning(partition)
            batch = await consumer.getmany(partition, timeout_ms=1000, max_records=1)
            records = batch.get(partition, [])
            return records[0].value.decode() if records and records[0].value else None
        finally:
            await asyncio.shield(consumer.stop())


async def _write_marker(producer: AIOKafkaProducer, topic: str) -> None:
    incarnation = uuid.uuid4().hex
    await producer.send_and_wait(topic, incarnation.encode(), key=b"incarnation")
    log.info("broker.incarnation_written", incarnation=incarnation)


@dataclass
class PublishGuard:
    """The relay's check that a publish really lands: its topics exist on the broker (a
    broker that lost a topic may still acknowledge writes to it) and no heal began."""

    healer: BrokerHealer

    @property
    def epoch(self) -> int:
        return self.healer.epoch

    async def topics_exist(self, producer: AIOKafkaProducer, topics: set[str]) -> bool:
        return not await missing_topics(producer.client, topics)
