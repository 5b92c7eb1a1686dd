"""A producer that stops answering: the relay's pass ends, its records stay pending."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from shared.metrics import ServiceMetrics
from shared.outbox import Outbox, Record
from shared.relay import OutboxRelay, Unanswered, Unpacked, acknowledged_in_order, send_in_batches

RECORDS = [Record("t", f"k{i}", b"v", []) for i in range(3)]


class Silent(AIOKafkaProducer):  # type: ignore[misc]  # aiokafka is untyped
    """aiokafka's own batches, never acknowledged (``acknowledges=True``: acknowledged at
    once), or not even the topic's partitions answered (``metadata=False``): a client
    whose background task died."""

    def __init__(self, *, metadata: bool = True, acknowledges: bool = False) -> None:
        super().__init__(bootstrap_servers="127.0.0.1:1")  # never started: nothing to reach
        self.metadata, self.acknowledges = metadata, acknowledges
        self.deliveries: list[asyncio.Future[object]] = []

    async def start(self) -> None:
        pass  # nothing to reach: its batches are built and handed over all the same

    async def partitions_for(self, topic: str) -> set[int]:
        if not self.metadata:
            await asyncio.Event().wait()
        return {0, 1}

    async def send_batch(self, batch: Any, topic: str, *, partition: int) -> Any:
        delivery = asyncio.get_running_loop().create_future()
        if self.acknowledges:
            asyncio.get_running_loop().call_later(0.01, delivery.set_result, None)
        self.deliveries.append(delivery)
        return delivery


@asynccontextmanager
async def silent(**behaviour: bool) -> AsyncIterator[Silent]:
    producer = Silent(**behaviour)
    try:
        yield producer
    finally:
        await producer.stop()


async def test_unanswered_acknowledgements_fail_their_records_without_being_cancelled() -> None:
    async with silent() as producer:
        outcomes = await send_in_batches(producer, RECORDS, answer_seconds=0.05)
    assert all(isinstance(outcome, Unanswered) for outcome in outcomes)
    assert producer.deliveries and not any(future.done() for future in producer.deliveries)
    rows = [Unpacked(seq, [record]) for seq, record in enumerate(RECORDS, 1)]
    assert acknowledged_in_order(rows, outcomes) == []  # all stay pending, sent again


async def test_acknowledgements_that_do_answer_are_kept() -> None:
    async with silent(acknowledges=True) as producer:
        assert await send_in_batches(producer, RECORDS, answer_seconds=5) == [None] * 3


async def test_unanswered_metadata_fails_the_topics_records() -> None:
    async with silent(metadata=False) as producer:
        outcomes = await send_in_batches(producer, RECORDS, answer_seconds=0.05)
    assert all(isinstance(outcome, Unanswered) for outcome in outcomes)
    assert producer.deliveries == []


async def test_a_relay_whose_producer_stopped_answering_starts_a_fresh_one() -> None:
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        "mongodb://127.0.0.1:1", connect=False
    )  # not used by a send
    outbox = Outbox(mongo["relay"]["outbox"])
    made: list[Silent] = []

    def fresh() -> Silent:
        made.append(Silent())
        return made[-1]

    relay = OutboxRelay(
        outbox, fresh, outbox.lease(timedelta(seconds=5)), poll_seconds=1,
        retention=timedelta(days=1), metrics=ServiceMetrics(), answer_seconds=0.05,
    )  # fmt: skip
    try:
        first = await relay.producer.get()
        outcomes = await relay._send_all(first, RECORDS)
        assert all(isinstance(outcome, Unanswered) for outcome in outcomes)
        assert relay.kafka_down_since is not None
        assert await relay.producer.get() is not first and len(made) == 2
    finally:
        await relay.close()
        await mongo.close()
