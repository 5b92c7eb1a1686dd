"""Latency benchmark: a company accepted by POST /companies until a consumer of the
companies topic has it in its read model (service → outbox → relay → broker → runner),
next to a bare produce → consume → one insert. The consumer is the shared runner with a
one-insert handler, not the matching service, so the figure is the delivery path's own."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import orjson
from aiohttp import web
from aiokafka import AIOKafkaConsumer

from jamp.perf.consume import runner_for
from jamp.perf.intake import BODIES
from jamp.perf.pairs import Figure, percentile
from jamp.perf.processes import service
from jamp.perf.servers import Servers
from jamp.perf.workload import fresh_topic, run_settings
from shared.consumer import Batchable, ConsumedEvent
from shared.contracts.companies import CompanyRegistered
from shared.handler_table import handler_table
from shared.kafka import create_producer, ensure_topics
from shared.mongo import create_client
from shared.settings import ServiceSettings
from shared.topics import Topics

Sent = dict[str, float]


class Arrivals:
    """When each key reached the read model (wall clock, this process)."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self._changed = asyncio.Event()

    def arrived(self, key: str) -> None:
        self.at[key] = time.time()
        self._changed.set()

    async def measure(
        self, send: Callable[[], Awaitable[tuple[str, float]]], count: int, rate: float
    ) -> list[float]:
        """The first send waits for the consumer's group to form; then ``count`` sends,
        ``rate`` a second, are timed until each has arrived."""
        await self.latencies(dict([await send()]))
        sent: Sent = {}
        for _ in range(count):
            key, at = await send()
            sent[key] = at
            await asyncio.sleep(1 / rate)
        return await self.latencies(sent)

    async def latencies(self, sent: Sent, timeout: float = 60) -> list[float]:
        """Seconds from sending to arrival of each key, once all have arrived."""
        async with asyncio.timeout(timeout):
            while not sent.keys() <= self.at.keys():
                self._changed.clear()
                await self._changed.wait()
        return [self.at[key] - at for key, at in sent.items()]


async def run(servers: Servers, count: int, pairs: int, rate: float, logs: Path) -> list[Figure]:
    p50 = Figure("accepted → read model p50", "ms", higher_is_better=False,
                 note="baseline: bare produce → consume → one insert")  # fmt: skip
    p99 = Figure("accepted → read model p99", "ms", higher_is_better=False)
    settings = run_settings(servers.mongodb_uri, servers.kafka_bootstrap)
    await ensure_topics(settings.kafka_bootstrap_servers, Topics(settings.topic_prefix).all())
    bare_topic = await fresh_topic(settings, "bare")
    async with service("services.companies", settings, logs) as (_, url):
        for _ in range(pairs):
            product = await _product(settings, url, count, rate)
            baseline = await _baseline(settings, bare_topic, count, rate)
            for figure, fraction in ((p50, 0.5), (p99, 0.99)):
                figure.product.append(percentile(product, fraction) * 1000)
                figure.baseline.append(percentile(baseline, fraction) * 1000)
    return [p50, p99]


async def _product(settings: ServiceSettings, url: str, count: int, rate: float) -> list[float]:
    arrivals = Arrivals()
    mongo = create_client(settings.mongodb_uri)
    read_model = mongo[settings.database_name("bench")]["companies"]

    async def on_registered(event: ConsumedEvent[CompanyRegistered], app: web.Application) -> None:
        company = event.payload.company
        await read_model.insert_one({"_id": company.company_id}, session=event.session)
        arrivals.arrived(company.company_id)

    topic = Topics(settings.topic_prefix).of("companies")
    runner = runner_for(settings, mongo, topic, handler_table(Batchable(on_registered)))
    task = asyncio.create_task(runner.run())
    body = orjson.dumps(BODIES["companies"])
    try:
        async with aiohttp.ClientSession(headers={"content-type": "application/json"}) as http:

            async def register() -> tuple[str, float]:
                async with http.post(f"{url}/companies", data=body) as response:
                    document = await response.json()
                return document["company"]["company_id"], time.time()

            return await arrivals.measure(register, count, rate)
    finally:
        runner.stop()
        await asyncio.gather(task, return_exceptions=True)
        await mongo.close()


async def _baseline(settings: ServiceSettings, topic: str, count: int, rate: float) -> list[float]:
    mongo = create_client(settings.mongodb_uri)
    read_model = mongo[settings.database_name("bench")]["bare"]
    arrivals = Arrivals()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
        group_id=f"{settings.group_prefix}bare", auto_offset_reset="earliest",
    )  # fmt: skip
    producer = create_producer(settings, "bench-latency")
    await asyncio.gather(consumer.start(), producer.start())

    async def consume() -> None:
        while True:
            for partition, records in (await consumer.getmany(timeout_ms=200)).items():
                for record in records:
                    await read_model.insert_one({"_id": record.key.decode()})
                    arrivals.arrived(record.key.decode())
                await consumer.commit({partition: records[-1].offset + 1})

    async def produce() -> tuple[str, float]:
        key, sent = uuid.uuid4().hex, time.time()
        await producer.send_and_wait(topic, b"{}", key=key.encode())
        return key, sent

    task = asyncio.create_task(consume())
    try:
        return await arrivals.measure(produce, count, rate)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.gather(consumer.stop(), producer.stop())
        await mongo.close()
