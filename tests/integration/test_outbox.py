"""The outbox's own guarantees: one relay at a time, order per aggregate, retention, replay,
and rows written by a version that did not number them."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from bson import Binary, ObjectId
from pymongo.errors import PyMongoError

from shared.contracts.companies import CompanyVerified
from shared.envelope import Envelope
from shared.kafka import create_producer
from shared.metrics import ServiceMetrics
from shared.mongo import TRANSIENT, create_client
from shared.outbox import Lease, Outbox, outbox_row, outbox_rows, replay_since
from shared.outbox_migration import OLD_INDEX, prepare_outbox
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.support import read_topic


def relay_for(outbox: Outbox, settings: ServiceSettings, retention: timedelta) -> OutboxRelay:
    return OutboxRelay(
        outbox,
        partial(create_producer, settings, "test-relay"),
        outbox.lease(timedelta(seconds=30)),
        poll_seconds=0.05,
        retention=retention,
        metrics=ServiceMetrics(),
    )


def row(topic: str, key: str, value: str, created_at: datetime) -> dict[str, Any]:
    return {"topic": topic, "key": key, "value": Binary(value.encode()), "headers": [],
            "event_id": value, "event_type": "test", "created_at": created_at}  # fmt: skip


async def values_on(settings: ServiceSettings, topic: str, count: int) -> list[str]:
    records = sorted(await read_topic(settings, topic, count), key=lambda r: r.offset)
    return [record.value.decode() for record in records]


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


async def test_rows_are_published_in_order_per_key(settings: ServiceSettings) -> None:
    mongo = create_client(settings.mongodb_uri)
    outbox = Outbox(mongo[settings.database_name("ordering")]["outbox"])
    topic = Topics(settings.topic_prefix).of("companies")
    now = datetime.now(UTC)
    await outbox.append([row(topic, f"k{index % 3}", f"v{index}", now) for index in range(30)])
    relay = relay_for(outbox, settings, timedelta(days=1))
    try:
        assert await relay.relay_once() == 30
        assert await outbox.backlog() == 0
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


@dataclass
class Kept:
    """An outbox of the test's own with a 7-day retention, its topic and its relay."""

    outbox: Outbox
    topic: str
    relay: OutboxRelay


@pytest.fixture
async def kept(settings: ServiceSettings) -> AsyncIterator[Kept]:
    mongo = create_client(settings.mongodb_uri)
    outbox = Outbox(mongo[settings.database_name("kept")]["outbox"])
    relay = relay_for(outbox, settings, timedelta(days=7))
    yield Kept(outbox, Topics(settings.topic_prefix).of("companies"), relay)
    await relay.close()
    await mongo.close()


async def test_published_rows_stay_for_the_retention_window_then_go(kept: Kept) -> None:
    now = datetime.now(UTC)
    await kept.outbox.append([row(kept.topic, "k", "old", now - timedelta(days=9)),
                              row(kept.topic, "k", "recent", now - timedelta(days=2))])  # fmt: skip
    assert await kept.relay.relay_once() == 2
    await kept.outbox.append([row(kept.topic, "k", "pending", now - timedelta(days=9))])
    assert await kept.relay.purge_expired(now) == 1
    assert await kept.relay.purge_expired(now) == 0  # nothing more has expired
    left = {document["event_id"] async for document in kept.outbox.collection.find({})}
    assert left == {"recent", "pending"}


async def test_replay_publishes_the_rows_of_the_window_again(
    kept: Kept, settings: ServiceSettings
) -> None:
    now = datetime.now(UTC)
    ages = {"before": timedelta(hours=5), "inside": timedelta(hours=2),
            "after": timedelta(minutes=5)}  # fmt: skip
    await kept.outbox.append([row(kept.topic, "k", name, now - age) for name, age in ages.items()])
    assert await kept.relay.relay_once() == 3
    since, until = now - timedelta(hours=3), now - timedelta(hours=1)
    assert await replay_since(kept.outbox.collection, since, until) == 1
    assert await kept.outbox.backlog() == 1
    assert await kept.relay.relay_once() == 1  # the window only, not what came after it
    assert await replay_since(kept.outbox.collection, since) == 2
    assert await kept.relay.relay_once() == 2  # from the window on
    assert await values_on(settings, kept.topic, 6) == [
        "before",
        "inside",
        "after",
        "inside",
        "inside",
        "after",
    ]


async def test_a_transaction_whose_numbers_were_closed_is_asked_to_run_again(
    settings: ServiceSettings,
) -> None:
    mongo = create_client(settings.mongodb_uri)
    outbox = Outbox(mongo[settings.database_name("closed")]["outbox"])
    try:
        await outbox.collection.insert_one({"_id": 1, "seq": 1, "tombstone": True})
        try:
            await outbox.append([row("t", "k", "late", datetime.now(UTC))])
        except PyMongoError as error:
            assert error.has_error_label(TRANSIENT)
        else:
            raise AssertionError("a row was written under a closed number")
        assert await outbox.append([row("t", "k", "retried", datetime.now(UTC))]) == 2
    finally:
        await mongo.close()


def legacy_row(topic: str, value: str, sent: bool) -> dict[str, Any]:
    """A row as the version before numbering wrote it."""
    sent_at = datetime.now(UTC) if sent else None
    return {**row(topic, "k", value, datetime.now(UTC)), "_id": ObjectId(),
            "sent_at": sent_at, "replays": 0}  # fmt: skip


async def test_rows_of_an_older_version_are_numbered_and_the_unsent_ones_published_once(
    kept: Kept, settings: ServiceSettings
) -> None:
    outbox = kept.outbox
    await outbox.collection.create_index([("sent_at", 1), ("_id", 1)])
    flags = [("s1", True), ("p1", False), ("s2", True), ("p2", False)]
    await outbox.collection.insert_many([legacy_row(kept.topic, v, sent) for v, sent in flags])
    await prepare_outbox(outbox)
    await prepare_outbox(outbox)  # a second start finds nothing left to migrate
    numbered = await outbox.collection.find({}).sort("seq", 1).to_list()
    assert [(r["event_id"], r["seq"]) for r in numbered] == [
        ("s1", -2),
        ("s2", -1),
        ("p1", 1),
        ("p2", 2),
    ]
    assert all("sent_at" not in r for r in numbered)
    assert OLD_INDEX not in await outbox.collection.index_information()
    assert await outbox.backlog() == 2
    assert await kept.relay.relay_once() == 2
    assert await kept.relay.relay_once() == 0
    assert await values_on(settings, kept.topic, 2) == ["p1", "p2"]
    # Sent rows stay replayable.
    assert await replay_since(outbox.collection, datetime.min.replace(tzinfo=UTC)) == 4


async def test_headers_are_stored_in_one_field_and_rows_of_an_older_version_keep_theirs(
    kept: Kept, settings: ServiceSettings
) -> None:
    new, old = (Envelope.wrap(CompanyVerified(company_id=key, version=2, by="admin"),
                              source="test", subject=key) for key in ("new", "old"))  # fmt: skip
    older = {**outbox_row(kept.topic, old),  # headers as the version before packing wrote them
             "headers": [[name, Binary(value)] for name, value in old.kafka_headers()]}  # fmt: skip
    await kept.outbox.append([older, outbox_row(kept.topic, new)])
    stored = await kept.outbox.collection.find_one({"key": "new"})
    assert stored is not None and isinstance(stored["headers"], bytes)  # one field, opaque
    assert await kept.relay.relay_once() == 2
    assert await replay_since(kept.outbox.collection, datetime.min.replace(tzinfo=UTC)) == 2
    assert await kept.relay.relay_once() == 2  # a replay reads both shapes again
    records = await read_topic(settings, kept.topic, 4)
    for envelope in (old, new):
        sent = [list(r.headers) for r in records if r.key == envelope.subject.encode()]
        assert sent == [envelope.kafka_headers()] * 2


async def test_a_transactions_events_share_a_row_and_are_relayed_and_replayed_in_order(
    kept: Kept, settings: ServiceSettings
) -> None:
    verified = partial(CompanyVerified, version=2, by="admin")
    old, a1, b1, a2, c1 = (Envelope.wrap(verified(company_id=key), source="test", subject=key)
                           for key in ("a", "a", "b", "a", "c"))  # fmt: skip
    older = {**outbox_row(kept.topic, old),  # one event a row, headers as pairs: before packing
             "headers": [[name, Binary(value)] for name, value in old.kafka_headers()]}  # fmt: skip
    await kept.outbox.append([older])
    packed = [(kept.topic, envelope) for envelope in (a1, b1, a2)]
    first = await kept.outbox.append(outbox_rows(packed))
    await kept.outbox.append(outbox_rows([(kept.topic, c1)]))
    assert await kept.outbox.collection.count_documents({}) == 3  # the three events share one
    assert await kept.outbox.backlog() == 3
    assert await kept.relay.relay_once() == 5  # events, of three rows
    assert (await kept.outbox.cursor()).published == first + 1
    assert await replay_since(kept.outbox.collection, datetime.min.replace(tzinfo=UTC)) == 5
    assert await kept.relay.relay_once() == 5  # a replay reads every shape again
    records = sorted(await read_topic(settings, kept.topic, 10), key=lambda r: r.offset)
    for key, sent in (("a", [old, a1, a2]), ("b", [b1]), ("c", [c1])):
        ids = [Envelope.from_bytes(r.value).id for r in records if r.key == key.encode()]
        assert ids == [envelope.id for envelope in sent] * 2  # in order, each time
        headers = [list(r.headers) for r in records if r.key == key.encode()]
        assert headers == [envelope.kafka_headers() for envelope in sent] * 2


async def test_instances_numbering_at_once_on_a_new_desk_get_distinct_blocks(
    settings: ServiceSettings,
) -> None:
    # Before its counter exists, every instance's first allocation creates it at once; an
    # engine may answer a losing upsert with no document. Each still gets its own block.
    mongo = create_client(settings.mongodb_uri)
    outbox = Outbox(mongo[settings.database_name("numbering")]["outbox"])
    try:
        firsts = await asyncio.gather(*(outbox.allocate(3) for _ in range(8)))
        blocks = [set(range(first, first + 3)) for first in firsts]
        assert len(set().union(*blocks)) == 3 * len(blocks)
        await outbox.create_counter()  # already there: nothing changes
        assert await outbox.allocate(1) > max(firsts) + 2
    finally:
        await mongo.close()
