"""Consume benchmark: the shared consumer runner with a trivial handler (one insert per
event, batchable), next to a bare aiokafka consumer doing one insert per record; and the
runner as one and as two instances of one group (scale-out, both in this process)."""

import asyncio
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from aiohttp import web
from aiokafka import AIOKafkaConsumer

from jamp.perf.pairs import Figure, alternate
from jamp.perf.servers import Servers
from jamp.perf.workload import events, fresh_topic, run_settings
from shared.consumer import (
    Batchable,
    ConsumedEvent,
    ConsumerRunner,
    HandlerTable,
    RetryPolicy,
)
from shared.contracts.companies import CompanyVerified
from shared.dead_letters import DeadLetterPublisher
from shared.handler_table import handler_table
from shared.kafka import create_producer, started
from shared.metrics import ServiceMetrics
from shared.mongo import Document, MongoClient, create_client
from shared.settings import ServiceSettings


async def run(servers: Servers, count: int, pairs: int) -> list[Figure]:
    note = f"{count} events; baseline: bare aiokafka consumer, one insert per record"
    one = Figure("consume, 1 instance", "events/s", note=note)
    two = Figure("consume, 2 instances of one group", "events/s", note=note)
    bare = partial(_bare_rate, servers, count)
    await alternate(one, partial(_runner_rate, servers, count, 1), bare, pairs)
    await alternate(two, partial(_runner_rate, servers, count, 2), bare, pairs)
    return [one, two]


async def _filled_topic(servers: Servers, count: int) -> tuple[ServiceSettings, str]:
    settings = run_settings(servers.mongodb_uri, servers.kafka_bootstrap)
    topic = await fresh_topic(settings)
    producer = await started(create_producer(settings, "bench-fill"))
    try:
        for envelope in events(count, keys=200):
            await producer.send(
                topic, envelope.to_bytes(), key=envelope.subject.encode(),
                headers=envelope.kafka_headers(),
            )  # fmt: skip
        await producer.flush()
    finally:
        await producer.stop()
    return settings, topic


class Countdown:
    def __init__(self, count: int) -> None:
        self.left, self.done = count, asyncio.Event()

    def tick(self, n: int = 1) -> None:
        self.left -= n
        if self.left <= 0:
            self.done.set()


async def _runner_rate(servers: Servers, count: int, instances: int) -> float:
    settings, topic = await _filled_topic(servers, count)
    mongo = create_client(settings.mongodb_uri)
    database = mongo[settings.database_name("bench")]
    countdown = Countdown(count)

    async def handle(event: ConsumedEvent[CompanyVerified], app: web.Application) -> None:
        await database["read_model"].insert_one(_row(event.envelope.id), session=event.session)
        countdown.tick()

    table = handler_table(Batchable(handle))
    runners = [runner_for(settings, mongo, topic, table) for _ in range(instances)]
    try:

        def stop() -> None:
            for runner in runners:
                runner.stop()

        return await _timed(countdown, count, [runner.run() for runner in runners], stop)
    finally:
        await mongo.drop_database(database.name)
        await mongo.close()


def runner_for(
    settings: ServiceSettings, mongo: MongoClient, topic: str, handlers: HandlerTable
) -> ConsumerRunner:
    """The shared runner, as a service's consumer_context builds it, for the bench group."""
    database = mongo[settings.database_name("bench")]
    return ConsumerRunner(
        group_id=settings.group_id("bench"),
        topics=[topic],
        handlers=handlers,
        mongo=mongo,
        processed=database["processed_events"],
        dead_letters=DeadLetterPublisher(partial(create_producer, settings, "bench-dlq")),
        settings=settings,
        retry=RetryPolicy(0.05, 1.0, 3),
        app=web.Application(),
        metrics=ServiceMetrics(),
    )


async def _bare_rate(servers: Servers, count: int) -> float:
    settings, topic = await _filled_topic(servers, count)
    mongo = create_client(settings.mongodb_uri)
    collection = mongo[settings.database_name("bench")]["read_model"]
    countdown = Countdown(count)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.group_id("bare"), enable_auto_commit=False,
        auto_offset_reset="earliest",
    )  # fmt: skip

    async def consume() -> None:
        await consumer.start()
        while not countdown.done.is_set():  # stops by itself after the last event
            batches = await consumer.getmany(timeout_ms=200, max_records=200)
            for partition, records in batches.items():
                for record in records:
                    await collection.insert_one(_row(f"{partition}:{record.offset}"))
                    countdown.tick()
                await consumer.commit({partition: records[-1].offset + 1})

    try:
        return await _timed(countdown, count, [consume()], lambda: None)
    finally:
        await consumer.stop()
        await mongo.drop_database(collection.database.name)
        await mongo.close()


async def _timed(
    countdown: Countdown, count: int, work: list[Any], stop: Callable[[], None]
) -> float:
    """Events per second from the first start until the last event is in; then the
    consumers stop as a service's would (commits finished), not cancelled mid-commit."""
    started = time.perf_counter()
    tasks = [asyncio.create_task(job) for job in work]
    try:
        async with asyncio.timeout(600):
            await countdown.done.wait()
        return count / (time.perf_counter() - started)
    finally:
        stop()
        await asyncio.wait(tasks, timeout=15)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _row(event_id: str) -> Document:
    return {"_id": event_id, "at": time.time()}
