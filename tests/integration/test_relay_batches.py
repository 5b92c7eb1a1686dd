"""The relay in batches: order, one marking write, a part-way failure, idle, takeover."""

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from bson import Binary

from shared.kafka import create_producer
from shared.metrics import ServiceMetrics
from shared.mongo import MongoClient, create_client
from shared.outbox import Lease, Outbox
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.support import eventually, read_topic

TOO_LARGE = 2 * 1024 * 1024  # over the producer's max_request_size: refused at send


def row(topic: str, key: str, value: bytes) -> dict[str, Any]:
    return {"topic": topic, "key": key, "value": Binary(value), "headers": [],
            "event_id": value[:20].decode(), "event_type": "test",
            "created_at": datetime.now(UTC), "sent_at": None, "replays": 0}  # fmt: skip


def relay_for(outbox: Outbox, settings: ServiceSettings, lease_seconds: float) -> OutboxRelay:
    return OutboxRelay(
        outbox,
        partial(create_producer, settings, "batch-relay"),
        Lease(
            outbox.collection.database["leases"], "outbox-relay", timedelta(seconds=lease_seconds)
        ),
        poll_seconds=0.05,
        retention=timedelta(days=1),
        metrics=ServiceMetrics(),
        batch_size=50,
    )


def outbox_of(mongo: MongoClient, settings: ServiceSettings, name: str) -> Outbox:
    return Outbox(mongo[settings.database_name(name)]["outbox"])


async def test_a_batch_is_published_and_marked_sent_in_order(settings: ServiceSettings) -> None:
    mongo = create_client(settings.mongodb_uri)
    outbox = outbox_of(mongo, settings, "batches")
    topic = Topics(settings.topic_prefix).of("companies")
    await outbox.collection.insert_many(
        [row(topic, f"k{i % 4}", f"v{i}".encode()) for i in range(120)]
    )
    relay = relay_for(outbox, settings, 5)
    try:
        # Batches of 50: three passes, each one read, one produce, one marking write.
        assert [await relay.relay_once() for _ in range(4)] == [50, 50, 20, 0]
        assert await outbox.collection.count_documents({"sent_at": None}) == 0
    finally:
        await relay.close()
        await mongo.close()
    records = sorted(await read_topic(settings, topic, 120), key=lambda r: r.offset)
    for key in (b"k0", b"k1", b"k2", b"k3"):
        values = [int(r.value[1:]) for r in records if r.key == key]
        assert values == sorted(values) and len(values) == 30


async def test_a_row_committed_late_inside_a_batch_range_stays_pending(
    settings: ServiceSettings,
) -> None:
    mongo = create_client(settings.mongodb_uri)
    outbox = outbox_of(mongo, settings, "late")
    topic = Topics(settings.topic_prefix).of("companies")
    first = await outbox.collection.insert_many(
        [row(topic, "k", f"v{i}".encode()) for i in range(3)]
    )
    relay = relay_for(outbox, settings, 5)
    ids = list(first.inserted_ids)
    late = {**row(topic, "k", b"late"), "_id": ids[1]}  # an id inside the batch's range
    await outbox.collection.delete_one({"_id": ids[1]})
    try:
        await outbox.collection.insert_one(late)  # "committed" after the batch was read
        await relay._mark_range_sent([ids[0], ids[2]])
        pending = await outbox.collection.find({"sent_at": None}).to_list()
        assert [document["event_id"] for document in pending] == ["late"]
    finally:
        await relay.close()
        await mongo.close()


async def test_a_failure_part_way_leaves_only_the_unacknowledged_tail_of_its_key(
    settings: ServiceSettings,
) -> None:
    mongo = create_client(settings.mongodb_uri)
    outbox = outbox_of(mongo, settings, "partway")
    topic = Topics(settings.topic_prefix).of("companies")
    await outbox.collection.insert_many(
        [
            row(topic, "a", b"a1"),
            row(topic, "b", b"b1" + b"x" * TOO_LARGE),  # the broker will never take it
            row(topic, "a", b"a2"),
            row(topic, "b", b"b2"),  # must not overtake b1
            row(topic, "c", b"c1"),
        ]
    )
    relay = relay_for(outbox, settings, 5)
    try:
        assert await relay.relay_once() == 3
        pending = await outbox.collection.find({"sent_at": None}).sort("_id", 1).to_list()
        assert [bytes(document["value"])[:2] for document in pending] == [b"b1", b"b2"]
        assert await relay.relay_once() == 0  # the next pass sends only the tail again
    finally:
        await relay.close()
        await mongo.close()
    records = await read_topic(settings, topic, 5)
    assert sorted(record.value[:2] for record in records) == [b"a1", b"a2", b"b2", b"b2", b"c1"]


async def test_an_idle_relay_writes_nothing(settings: ServiceSettings) -> None:
    mongo = create_client(settings.mongodb_uri)
    outbox = outbox_of(mongo, settings, "idle")
    leases = outbox.collection.database["leases"]
    topic = Topics(settings.topic_prefix).of("companies")
    relay = relay_for(outbox, settings, 1.2)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.5)  # ten polls of an empty outbox
        assert await leases.count_documents({}) == 0
        await outbox.collection.insert_one(row(topic, "k", b"work"))
        await eventually(lambda: outbox.collection.find_one({"sent_at": {"$ne": None}}))
        held = await leases.find_one({})
        assert held is not None
        await asyncio.sleep(1.5)  # past the lease's renewal point, with nothing to do
        assert await leases.find_one({}) == held  # not renewed: no write
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await mongo.close()


async def test_a_successor_publishes_soon_after_a_holder_dies_without_letting_go(
    settings: ServiceSettings,
) -> None:
    mongo = create_client(settings.mongodb_uri)
    outbox = outbox_of(mongo, settings, "takeover")
    topic = Topics(settings.topic_prefix).of("companies")
    dead = relay_for(outbox, settings, 1.5)
    successor = relay_for(outbox, settings, 1.5)
    try:
        assert await dead.lease.acquire()  # then it is killed: no release
        await outbox.collection.insert_one(row(topic, "k", b"after the crash"))
        assert await successor.relay_once() == 0  # the dead holder's lease still runs
        started = asyncio.get_running_loop().time()

        async def published() -> int:
            return await successor.relay_once()

        await eventually(published, timeout=5)
        assert asyncio.get_running_loop().time() - started < 3
    finally:
        await successor.close()
        await mongo.close()
