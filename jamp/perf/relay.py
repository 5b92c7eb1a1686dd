"""Relay benchmark: outbox rows to the broker, next to a raw producer sending the same records."""

import asyncio
import gc
import time
from datetime import timedelta
from functools import partial

from jamp.perf.pairs import Figure, alternate
from jamp.perf.servers import Servers
from jamp.perf.workload import events, fresh_topic, run_settings
from shared import kafka
from shared.kafka import create_batch_producer
from shared.metrics import ServiceMetrics
from shared.mongo import create_client
from shared.outbox import Outbox, outbox_rows
from shared.outbox_migration import prepare_outbox
from shared.relay import OutboxRelay

PER_TRANSACTION = 2
"""Events a transaction appends, as a registration does (the company's event and its key's).
A verification or a proposal's change appends 1, an inquiry's submission 4 (with its SLA
clocks), a matching batch one per change it made; ``Outbox.add_all`` packs a transaction's
events into one row, so this sets how many documents the relay reads per event."""


async def run(servers: Servers, count: int, pairs: int) -> list[Figure]:
    note = (
        f"{count} events, {PER_TRANSACTION} per transaction; the relay reads, unpacks and hands"
        " them over in record batches it fills (send_batch); baseline: raw aiokafka producer,"
        " the same records, the relay's producer settings, send per record"
    )
    figure = Figure("outbox relay", "events/s", note=note)
    trial = partial(_relay_rate, servers, count)
    baseline = partial(_producer_rate, servers, count)
    return [await alternate(figure, trial, baseline, pairs)]


async def _relay_rate(servers: Servers, count: int) -> float:
    settings = run_settings(servers.mongodb_uri, servers.kafka_bootstrap)
    topic = await fresh_topic(settings)
    mongo = create_client(settings.mongodb_uri)
    database = mongo[settings.database_name("bench")]
    outbox = Outbox(database["outbox"])
    relay = OutboxRelay(
        outbox,
        partial(create_batch_producer, settings, "bench-relay"),
        outbox.lease(timedelta(seconds=5)),
        poll_seconds=0.5,
        retention=timedelta(days=1),
        metrics=ServiceMetrics(),
    )
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
