"""Relay benchmark: outbox rows to the broker, next to a raw producer sending the same records."""

import asyncio
import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from jamp.perf.pairs import Figure, alternate
from jamp.perf.servers import Servers
from jamp.perf.workload import events, fresh_topic, run_settings
from shared import kafka
from shared.healing import BrokerHealer, PublishGuard
from shared.kafka import create_batch_producer, create_producer
from shared.metrics import ServiceMetrics
from shared.mongo import create_client
from shared.outbox import Outbox, outbox_rows
from shared.outbox_migration import prepare_outbox
from shared.platform import Platform, outbox_relay
from shared.topics import Topics

PER_TRANSACTION = 2
"""Events a transaction appends, as a registration does (the company's event and its key's).
A verification or a proposal's change appends 1, an inquiry's submission 4 (with its SLA
clocks), a matching batch one per change it made; ``Outbox.add_all`` packs a transaction's
events into one row, so this sets how many documents the relay reads per event."""


async def run(servers: Servers, count: int, pairs: int, other_topics: int = 0) -> list[Figure]:
    note = (
        f"{count} events, {PER_TRANSACTION} per transaction; the relay reads, unpacks and hands"
        " them over in record batches it fills (send_batch); baseline: raw aiokafka producer,"
        " the same records, the relay's producer settings, send per record"
    )
    if other_topics:
        note += f"; the broker holds {other_topics} other topics"
    figure = Figure("outbox relay", "events/s", note=note)
    trial = partial(_relay_rate, servers, count)
    baseline = partial(_producer_rate, servers, count)
    async with _other_topics(servers, other_topics):
        return [await alternate(figure, trial, baseline, pairs)]


@asynccontextmanager
async def _other_topics(servers: Servers, count: int) -> AsyncIterator[None]:
    """``count`` topics of nobody's on the broker while the pairs run, deleted after."""
    prefix = run_settings(servers.mongodb_uri, servers.kafka_bootstrap).topic_prefix
    names = [f"{prefix}.other-{number}" for number in range(count)]
    admin = await kafka.started(AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap))
    try:
        for start in range(0, count, 500):
            await admin.create_topics([NewTopic(name, 3, 1) for name in names[start : start + 500]])
        yield
    finally:
        for start in range(0, count, 500):
            await admin.delete_topics(names[start : start + 500])
        await admin.close()


async def _relay_rate(servers: Servers, count: int) -> float:
    settings = run_settings(servers.mongodb_uri, servers.kafka_bootstrap)
    topic = await fresh_topic(settings)
    mongo = create_client(settings.mongodb_uri)
    database = mongo[settings.database_name("bench")]
    outbox = Outbox(database["outbox"])
    platform = Platform("bench", settings, mongo, database, outbox, Topics(settings.topic_prefix))
    # Built as a service builds its relay: the settings' timings, and the guard that asks
    # the broker before each publish whether the batch's topics still exist (the guard
    # reads only its healer's epoch; the healer is not run, no broker is lost here).
    healer = BrokerHealer(
        settings,
        platform.topics,
        database["broker_state"],
        partial(create_producer, settings, "bench-healer"),
    )
    relay = outbox_relay(platform, "bench-relay", ServiceMetrics(), PublishGuard(healer))
    try:
        await prepare_outbox(outbox)  # its indexes, as a service's start makes them
        await _fill(outbox, topic, count)
        await relay.producer.get()  # connecting is not relaying
        gc.collect()
        started = time.perf_counter()
        published = 0
        while published < count:
            published += await relay.relay_once()
        return count / (time.perf_counter() - started)
    finally:
        await relay.close()
        await mongo.drop_database(database.name)
        await mongo.close()


async def _fill(outbox: Outbox, topic: str, count: int) -> None:
    """The pending rows, written as transactions of ``PER_TRANSACTION`` events would, and
    then dropped: a relay does not hold thousands of envelopes while it relays (left alive,
    they made each of the collector's full passes during the timed part dearer)."""
    pending = [(topic, envelope) for envelope in events(count)]
    rows = [row for start in range(0, count, PER_TRANSACTION)
            for row in outbox_rows(pending[start : start + PER_TRANSACTION])]  # fmt: skip
    for start in range(0, len(rows), 1000):  # numbered in blocks, as requests take theirs
        await outbox.append(rows[start : start + 1000])


async def _producer_rate(servers: Servers, count: int) -> float:
    settings = run_settings(servers.mongodb_uri, servers.kafka_bootstrap)
    topic = await fresh_topic(settings)
    records = [(e.to_bytes(), e.subject.encode(), e.kafka_headers()) for e in events(count)]
    # The relay's settings and plain ``send`` per record, the API most producers use: the
    # relay filling record batches itself is what it is measured against, not a new bar.
    producer = await kafka.started(create_batch_producer(settings, "bench-raw"))
    try:
        gc.collect()  # both start their timed part with the setup's garbage collected
        started = time.perf_counter()
        deliveries = [
            await producer.send(topic, value=value, key=key, headers=headers)
            for value, key, headers in records
        ]
        await asyncio.gather(*deliveries)
        return count / (time.perf_counter() - started)
    finally:
        await producer.stop()
