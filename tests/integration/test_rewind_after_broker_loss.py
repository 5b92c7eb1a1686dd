"""Rewinding a consumer after the broker lost its data (shared.healing) happens while the
group is likely to rebalance: a rewind the assignment changes under is tried again, and
never ends the consumer's loop (found by ``jamp chaos``: the monitor's tail died of it and
indexed nothing more)."""

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.consumer import rewind_to_start
from shared.embedded import EmbeddedStack
from shared.kafka import ensure_topics, started
from shared.mongo import new_id

RECORDS_PER_PARTITION = 3


async def test_a_rewind_cut_short_by_a_new_assignment_says_so_and_works_when_tried_again(
    stack: EmbeddedStack,
) -> None:
    topic, group = f"rewind-{new_id()}", f"rewinder-{new_id()}"
    await ensure_topics(stack.kafka_bootstrap, [topic], partitions=2)
    both = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
    producer = await started(AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap))
    try:
        for partition in both:
            for n in range(RECORDS_PER_PARTITION):
                await producer.send_and_wait(topic, b"%d" % n, partition=partition.partition)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=stack.kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await started(consumer)
    try:
        consumer.assign(both)
        for partition in both:
            consumer.seek(partition, RECORDS_PER_PARTITION)  # read to the end, as before a loss

        rewinding = asyncio.create_task(rewind_to_start(consumer, group))
        await asyncio.sleep(0)  # it now waits on the broker for the start of both logs
        consumer.assign(both[:1])  # a rebalance takes a partition away meanwhile
        assert await rewinding is False

        assert await rewind_to_start(consumer, group) is True  # the next poll tries again
        assert await consumer.position(both[0]) == 0
        assert await consumer.committed(both[0]) == 0
    finally:
        await consumer.stop()
