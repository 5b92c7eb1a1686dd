"""Kafka clients whose start is given up on (a timeout, a shutdown) or fails are closed,
every connection with them: aiokafka reports a client or connection it finds unclosed
through the event loop's exception handler when it is collected."""

import asyncio
import gc
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from shared.embedded import EmbeddedStack
from shared.kafka import close, kafka_reachable, started, wait_closed

CLIENTS: dict[str, Callable[[str], AIOKafkaAdminClient | AIOKafkaConsumer | AIOKafkaProducer]] = {
    "admin": lambda bootstrap: AIOKafkaAdminClient(bootstrap_servers=bootstrap),
    "consumer": lambda bootstrap: AIOKafkaConsumer(bootstrap_servers=bootstrap),
    "producer": lambda bootstrap: AIOKafkaProducer(bootstrap_servers=bootstrap),
}
# A start takes a few milliseconds here: cancelled at each of these, some are cut short
# while a connection is half open, where aiokafka itself loses track of it.
GIVEN_UP_AFTER = [index / 1000 for index in range(1, 40)]


async def unclosed_reports(attempts: Callable[[], Any]) -> list[str]:
    """What aiokafka reports unclosed once the attempts are over and their clients gone."""
    loop = asyncio.get_running_loop()
    reports: list[str] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: reports.append(str(context.get("message"))))
    try:
        await attempts()
        await wait_closed(timeout=30)
        gc.collect()
        await asyncio.sleep(0.1)  # reports are made from callbacks the collection schedules
    finally:
        loop.set_exception_handler(previous)
    return [report for report in reports if "Unclosed" in report]


@pytest.mark.parametrize("kind", CLIENTS)
async def test_a_start_given_up_on_leaves_nothing_open(stack: EmbeddedStack, kind: str) -> None:
    async def attempts() -> None:
        for seconds in GIVEN_UP_AFTER:
            client = CLIENTS[kind](stack.kafka_bootstrap)
            try:
                async with asyncio.timeout(seconds):
                    await started(client)
            except TimeoutError:
                continue
            await close(client)

    assert await unclosed_reports(attempts) == []


async def test_a_start_that_fails_closes_its_client() -> None:
    """A port that accepts and never answers: the start times out inside aiokafka."""
    server = await asyncio.start_server(lambda _, writer: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def attempts() -> None:
        consumer = AIOKafkaConsumer(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=300)
        with pytest.raises(Exception):  # noqa: B017 - whatever aiokafka raises for it
            await started(consumer)

    try:
        assert await unclosed_reports(attempts) == []
    finally:
        server.close()


async def test_a_reachability_probe_cut_short_leaves_nothing_open(stack: EmbeddedStack) -> None:
    async def attempts() -> None:
        for seconds in GIVEN_UP_AFTER:
            await kafka_reachable(stack.kafka_bootstrap, timeout=seconds)

    assert await unclosed_reports(attempts) == []
    assert await kafka_reachable(stack.kafka_bootstrap)
