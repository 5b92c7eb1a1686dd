"""The embedded stack as ``jamp dev`` runs it: supervised servers, and the durable broker."""

import asyncio
import logging
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from shared.embedded import EmbeddedStack
from shared.kafka import ensure_topics
from tests.support import eventually, isolated_settings, read_topic


async def test_a_supervised_server_that_dies_is_started_again(tmp_path: Path) -> None:
    stack = EmbeddedStack(tmp_path)
    await stack.start()
    stop = asyncio.Event()
    reports: list[str] = []
    supervisor = asyncio.create_task(stack.supervise(stop, reports.append))
    try:
        await stack.kill_server("mongodb")
        await stack.kill_server("kafka")

        async def back() -> bool:
            return await stack._mongo_answers() and await stack._kafka_answers()

        await eventually(back, timeout=60)
        assert {line.split()[0] for line in reports if "restarting" in line} == {
            "mongodb",
            "kafka",
        }
    finally:
        stop.set()
        await supervisor
        await stack.stop()


async def test_the_durable_broker_keeps_topics_and_records_across_a_kill(tmp_path: Path) -> None:
    stack = EmbeddedStack(tmp_path, durable_broker=True)
    await stack.start()
    try:
        settings = isolated_settings(stack.mongodb_uri, stack.kafka_bootstrap)
        topic = f"{settings.topic_prefix}.durable.v1"
        await ensure_topics(stack.kafka_bootstrap, [topic])
        producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for index in range(20):
                await producer.send_and_wait(topic, f"m{index}".encode(), key=b"k")
        finally:
            await producer.stop()
        await stack.kill_server("kafka")
        await stack.start_server("kafka")
        records = await read_topic(settings, topic, 20, timeout=30)
        assert sorted(record.value for record in records) == sorted(
            f"m{index}".encode() for index in range(20)
        )
    finally:
        await stack.stop()


async def test_the_broker_is_asked_only_once_it_listens(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """aiokafka logs every refused connection as an error: a start that probed the broker
    before it listened opened `jamp dev` with "Unable connect to …"."""
    stack = EmbeddedStack(tmp_path)
    with caplog.at_level(logging.WARNING, logger="aiokafka"):
        await stack.start()
    try:
        assert await stack._kafka_answers()
        assert [r.getMessage() for r in caplog.records if r.name.startswith("aiokafka")] == []
    finally:
        await stack.stop()
