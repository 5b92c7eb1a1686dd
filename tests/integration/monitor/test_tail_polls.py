"""The raw tail indexes and commits what one poll read at once, whatever its partitions."""

import asyncio

from aiokafka import AIOKafkaProducer, TopicPartition

from services.monitor.events.model import RawRecord
from services.monitor.streams.tail import RawTail
from shared.kafka import create_group_consumer, ensure_topics
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.support import eventually


async def test_one_poll_of_two_topics_is_one_write_and_one_commit_of_both(
    settings: ServiceSettings, producer: AIOKafkaProducer
) -> None:
    # A registration's two events sit on two topics: a write per partition was two.
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap_servers, topics.all())
    sent = [(topics.of(name), f"{name}-{n}".encode()) for name in ("companies", "identity")
            for n in range(3)]  # fmt: skip
    places = {
        (topic, (await producer.send_and_wait(topic, value, key=b"one")).partition)
        for topic, value in sent
    }
    calls: list[list[RawRecord]] = []

    async def sink(raws: list[RawRecord]) -> None:
        calls.append(raws)

    group = settings.group_id("tail-polls")
    tail = RawTail(settings, group, sink)
    running = asyncio.create_task(tail.run())
    try:
        await eventually(lambda: _seen(calls, len(sent)), timeout=30)
    finally:
        tail.stop()
        await asyncio.wait_for(running, 30)

    assert any(len({(raw.topic, raw.partition) for raw in raws}) == 2 for raws in calls)
    assert await _committed(settings, group, places) == {place: 3 for place in places}


async def _seen(calls: list[list[RawRecord]], count: int) -> bool:
    return sum(len(raws) for raws in calls) >= count


async def _committed(
    settings: ServiceSettings, group: str, places: set[tuple[str, int]]
) -> dict[tuple[str, int], int | None]:
    consumer = create_group_consumer(settings, group)
    await consumer.start()
    try:
        return {place: await consumer.committed(TopicPartition(*place)) for place in places}
    finally:
        await consumer.stop()
