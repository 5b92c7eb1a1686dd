"""The outbox's own guarantees: one relay at a time, order per aggregate, retention, replay."""

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from bson import Binary

from shared.kafka import create_producer
from shared.metrics import ServiceMetrics
from shared.mongo import create_client
from shared.outbox import Lease, Outbox, replay_since
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.support import read_topic


def relay_for(outbox: Outbox, settings: ServiceSettings, retention: timedelta) -> OutboxRelay:
    return OutboxRelay(
        outbox,
        partial(create_producer, settings, "test-relay"),
        Lease(outbox.collection.database["leases"], "outbox-relay", timedelta(seconds=30)),
        poll_seconds=0.05,
        retention=retention,
        metrics=ServiceMetrics(),
    )


def row(topic: str, key: str, value: str, created_at: datetime, sent_at: datetime | None) -> Any:
    return {
        "topic": topic,
        "key": key,
        "value": Binary(value.encode()),
        "headers": [],
        "event_id": value,
        "event_type": "test",
        "created_at": created_at,
        "sent_at": sent_at,
        "replays": 0,
    }


async def test_only_one_relay_holds_the_lease_until_it_lets_go(settings: ServiceSettings) -> None:
    mongo = create_client(settings.mongodb_uri)
    leases = mongo[settings.database_name("leasing")]["leases"]
    first, second = (Lease(leases, "outbox-relay", timedelta(seconds=30)) for _ in range(2))
    try:
        assert await first.acquire()
        assert not await second.acquire()
        assert await first.acquire()  # renewing one's own lease
        await first.release()
        assert await second.acquire()
    finally:
        await mongo.close()


async def test_an_expired_lease_passes_to_another_relay(settings: ServiceSettings) -> None:
    mongo = create_client(settings.mongodb_uri)
    leases = mongo[settings.database_name("leasing")]["leases"]
    crashed = Lease(leases, "outbox-relay", timedelta(seconds=-1))  # expired at once
    successor = Lease(leases, "outbox-relay", timedelta(seconds=30))
    try:
        assert await crashed.acquire()
        assert await successor.acquire()
    finally:
        await mongo.close()


async def test_pending_rows_are_published_in_order_per_key(settings: ServiceSettings) -> None:
    mongo = create_client(settings.mongodb_uri)
    outbox = Outbox(mongo[settings.database_name("ordering")]["outbox"])
    topic = Topics(settings.topic_prefix).of("companies")
    now = datetime.now(UTC)
    await outbox.collection.insert_many(
        [row(topic, f"k{index % 3}", f"v{index}", now, None) for index in range(30)]
    )
    relay = relay_for(outbox, settings, timedelta(days=1))
    try:
        assert await relay.lease.acquire()
        assert await relay.publish_pending() == 30
        assert await outbox.collection.count_documents({"sent_at": None}) == 0
    finally:
        await relay.close()
        await mongo.close()
    records = await read_topic(settings, topic, 30)
    for key in ("k0", "k1", "k2"):
        values = [
            int(record.value.decode()[1:])
            for record in sorted(records, key=lambda r: r.offset)
            if record.key == key.encode()
        ]
        assert values == sorted(values) and len(values) == 10


async def test_sent_rows_stay_for_the_retention_window_then_go(settings: ServiceSettings) -> None:
    mongo = create_client(settings.mongodb_uri)
    outbox = Outbox(mongo[settings.database_name("retention")]["outbox"])
    now = datetime.now(UTC)
    await outbox.collection.insert_many(
        [
            row("t", "k", "old", now - timedelta(days=9), now - timedelta(days=8)),
            row("t", "k", "recent", now - timedelta(days=2), now - timedelta(days=2)),
            row("t", "k", "pending", now - timedelta(days=9), None),
        ]
    )
    relay = relay_for(outbox, settings, timedelta(days=7))
    try:
        assert await relay.purge_expired(now) == 1
        left = {document["event_id"] async for document in outbox.collection.find({})}
        assert left == {"recent", "pending"}
    finally:
        await mongo.close()


async def test_replay_marks_sent_rows_of_the_window_pending_again(
    settings: ServiceSettings,
) -> None:
    mongo = create_client(settings.mongodb_uri)
    outbox = Outbox(mongo[settings.database_name("replay")]["outbox"])
    now = datetime.now(UTC)
    await outbox.collection.insert_many(
        [
            row("t", "k", "before", now - timedelta(hours=5), now),
            row("t", "k", "inside", now - timedelta(hours=2), now),
            row("t", "k", "after", now - timedelta(minutes=5), now),
        ]
    )
    try:
        since, until = now - timedelta(hours=3), now - timedelta(hours=1)
        assert await replay_since(outbox.collection, since, until) == 1
        pending = await outbox.collection.find_one({"sent_at": None})
        assert pending is not None
        assert pending["event_id"] == "inside" and pending["replays"] == 1
    finally:
        await mongo.close()
