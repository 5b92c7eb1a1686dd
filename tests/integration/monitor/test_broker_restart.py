"""The monitor's raw tail across a broker that came back empty: found by ``jamp chaos``
(``broker killed``), where the monitor indexed nothing published after the restart."""

import asyncio
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from services.monitor.app import create_app
from services.monitor.events.model import RawRecord, index_entry
from services.monitor.events.repository import EventIndex
from services.monitor.settings import MonitorSettings
from services.monitor.streams.inspector import StreamInspector
from services.monitor.streams.tail import RawTail
from shared.clock import utc_now
from shared.embedded import EmbeddedStack
from shared.kafka import create_producer, ensure_topics
from shared.mongo import create_client
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.monitor.records import key_issued
from tests.integration.monitor.test_streams import lagging_group
from tests.support import eventually, granted, isolated_settings, serving

SAME_KEY = b"one-partition"  # every record on one partition, so offsets climb there


async def _send(settings: ServiceSettings, topic: str) -> str:
    """One event on the topic (retried while the broker or the topic is coming back);
    returns its subject."""
    _, envelope = key_issued(settings)
    producer = create_producer(settings, "test-producer")
    await producer.start()
    try:
        await producer.send_and_wait(topic, envelope.to_bytes(), key=SAME_KEY)
    finally:
        await producer.stop()
    return envelope.subject


async def _indexed(settings: ServiceSettings, subject: str) -> Any:
    mongo = create_client(settings.mongodb_uri)
    try:
        events = mongo[settings.database_name("monitor")]["events"]
        return await events.find_one({"subject": subject})
    finally:
        await mongo.close()


async def test_the_tail_indexes_what_is_published_after_the_broker_came_back_empty(
    private_stack: EmbeddedStack,
) -> None:
    base = isolated_settings(
        private_stack.mongodb_uri, private_stack.kafka_bootstrap, broker_check_seconds=0.3
    )
    settings = MonitorSettings.of(base)
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap_servers, topics.all())
    topic = topics.of("identity")
    async with serving(create_app, settings):
        before = [await _send(settings, topic) for _ in range(5)]
        await eventually(lambda: _indexed(settings, before[-1]), timeout=30)

        await private_stack.kill_server("kafka")
        await private_stack.start_server("kafka")  # memory only: the log starts at 0 again

        async def sent() -> str | None:
            try:
                return await _send(settings, topic)
            except KafkaError:  # the topic is not back yet
                return None

        after = await eventually(sent, timeout=30)
        await eventually(lambda: _indexed(settings, after), timeout=60)


async def test_the_tail_survives_a_commit_the_restarted_broker_refuses(
    private_stack: EmbeddedStack,
) -> None:
    """A batch in hand while the broker restarts: its commit fails (the group is gone), and
    the tail goes on reading instead of ending."""
    settings = isolated_settings(private_stack.mongodb_uri, private_stack.kafka_bootstrap)
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap_servers, topics.all())
    topic = topics.of("identity")
    seen: list[bytes | None] = []
    restarted = asyncio.Event()

    async def sink(raws: list[RawRecord]) -> None:
        seen.extend(raw.value for raw in raws)
        if not restarted.is_set():  # the first batch: the broker restarts under it
            await private_stack.kill_server("kafka")
            await private_stack.start_server("kafka")
            restarted.set()

    tail = RawTail(settings, settings.group_id("tail"), sink)
    running = asyncio.create_task(tail.run())
    try:
        first = await _send(settings, topic)
        await eventually(restarted.wait, timeout=60)
        await ensure_topics(settings.kafka_bootstrap_servers, topics.all())  # a healer's job
        second = await _send(settings, topic)

        async def second_seen() -> bool:
            return any(second.encode() in (value or b"") for value in seen)

        await eventually(second_seen, timeout=60)
        assert any(first.encode() in (value or b"") for value in seen)
    finally:
        tail.stop()
        await asyncio.wait_for(running, 30)


async def test_a_hung_broker_is_said_promptly_and_the_health_view_still_answers(
    private_stack: EmbeddedStack,
) -> None:
    """A broker that accepts connections and answers nothing held /api/streams for 79 s
    and then answered a 500, and /api/health for up to 94 s."""
    base = isolated_settings(private_stack.mongodb_uri, private_stack.kafka_bootstrap)
    settings = MonitorSettings.of(base).model_copy(update={"monitor_broker_timeout_seconds": 2})
    await ensure_topics(settings.kafka_bootstrap_servers, Topics(settings.topic_prefix).all())
    async with serving(create_app, settings) as client:
        operator = await granted(client, "operator")
        assert (await operator.get("/api/streams")).status == 200
        private_stack.pause_server("kafka")
        try:
            async with asyncio.timeout(30):  # far below the minutes it took
                hung = await operator.get("/api/streams")
                health = await operator.get("/api/health")
            problem = await hung.json()
            assert (hung.status, hung.headers["Retry-After"]) == (503, "5"), problem
            assert "did not answer within 2 s" in problem["detail"]
            assert (health.status, (await health.json())["lag_by_group"]) == (200, {})
        finally:
            private_stack.pause_server("kafka", paused=False)

        async def answered() -> bool:
            return (await operator.get("/api/streams")).status == 200

        assert await eventually(answered, timeout=60)


async def test_the_oldest_unconsumed_record_is_the_one_the_new_log_holds_at_that_offset(
    private_stack: EmbeddedStack,
) -> None:
    """After the broker came back empty, offset 1 holds a record written since; the index
    still holds the record that sat there before, a day old. A group behind at offset 1
    is as old as the new record, whether or not the tail has read it yet (the tail's own
    group: the record at its committed offset is the next one it reads). Before, the age
    was the old record's: 86,400 s."""
    settings = MonitorSettings.of(
        isolated_settings(private_stack.mongodb_uri, private_stack.kafka_bootstrap)
    )
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap_servers, topics.all())
    topic = topics.of("proposals")
    day_ago = int((utc_now() - timedelta(days=1)).timestamp() * 1000)
    mongo = create_client(settings.mongodb_uri)
    index = EventIndex(mongo[settings.database_name("monitor")])
    inspector = StreamInspector(settings, index, own_groups=[])
    try:
        producer = create_producer(settings, "test-producer")
        await producer.start()
        try:
            for n in range(4):
                await producer.send_and_wait(
                    topic, b'{"n": %d}' % n, partition=0, timestamp_ms=day_ago
                )
        finally:
            await producer.stop()
        # The tail read them: the index holds each at its place in the old log.
        old = await _read_all(settings, topic)
        assert [raw.offset for raw in old] == [0, 1, 2, 3]
        await index.add_all([index_entry(raw) for raw in old])

        await private_stack.kill_server("kafka")
        await private_stack.start_server("kafka")  # memory only: the log starts at 0 again
        await ensure_topics(settings.kafka_bootstrap_servers, topics.all())
        producer = create_producer(settings, "test-producer")
        await producer.start()
        try:
            group = await lagging_group(settings, producer, behind=3)  # committed 1 of 4
        finally:
            await producer.stop()

        [stats] = [g for g in await inspector.group_lags(utc_now()) if g.group == group]
        [lag] = [p for p in stats.partitions if p.lag]
        assert (lag.committed, lag.end_offset, lag.lag) == (1, 4, 3)
        assert stats.oldest_age_seconds is not None
        assert stats.oldest_age_seconds < 600, f"a record of the old log: {lag}"
    finally:
        await inspector.close()
        await mongo.close()


async def _read_all(settings: ServiceSettings, topic: str) -> list[RawRecord]:
    """Partition 0 of the topic from its start, as the tail hands records to the index."""
    partition = TopicPartition(topic, 0)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        batch = await consumer.getmany(partition, timeout_ms=5000)
    finally:
        await consumer.stop()
    return [
        RawRecord(
            topic=r.topic,
            partition=r.partition,
            offset=r.offset,
            timestamp_ms=r.timestamp,
            key=r.key,
            value=r.value,
        )
        for r in batch.get(partition, [])
    ]
