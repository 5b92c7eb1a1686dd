"""The relay in batches: order, one cursor write, late and aborted transactions, a relay
killed before its cursor write, fencing, a part-way failure, idle, takeover."""

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from bson import Binary
from pymongo import AsyncMongoClient, MongoClient, monitoring

from shared.kafka import create_producer
from shared.metrics import ServiceMetrics
from shared.mongo import create_client, transaction
from shared.outbox import LEASE, Outbox, replay_since
from shared.outbox_migration import prepare_outbox
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.support import eventually, read_topic

REPO = Path(__file__).resolve().parents[2]  # the child imports shared/ and tests/ from here
TOO_LARGE = 2 * 1024 * 1024  # over the producer's max_request_size: refused at send


def row(topic: str, key: str, value: bytes) -> dict[str, Any]:
    return {"topic": topic, "key": key, "value": Binary(value), "headers": [],
            "event_id": value[:20].decode(), "event_type": "test",
            "created_at": datetime.now(UTC)}  # fmt: skip


def relay_for(
    outbox: Outbox,
    settings: ServiceSettings,
    lease_seconds: float,
    linger_seconds: float = 0.0,
    poll_seconds: float = 0.05,
    gap_horizon: timedelta = timedelta(seconds=120),
) -> OutboxRelay:
    return OutboxRelay(
        outbox,
        partial(create_producer, settings, "batch-relay"),
        outbox.lease(timedelta(seconds=lease_seconds)),
        poll_seconds=poll_seconds,
        linger_seconds=linger_seconds,
        retention=timedelta(days=1),
        metrics=ServiceMetrics(),
        batch_size=50,
        gap_horizon=gap_horizon,
    )


@dataclass
class Box:
    """An outbox of the test's own, the topic its rows go to, and relays for it."""

    settings: ServiceSettings
    outbox: Outbox
    topic: str
    relays: list[OutboxRelay] = field(default_factory=list)

    def relay(self, lease_seconds: float = 5, **options: Any) -> OutboxRelay:
        self.relays.append(relay_for(self.outbox, self.settings, lease_seconds, **options))
        return self.relays[-1]

    async def add(self, *values: bytes, key: str = "k") -> int:
        return await self.outbox.append([row(self.topic, key, value) for value in values])

    async def values(self, count: int) -> list[bytes]:
        records = sorted(await read_topic(self.settings, self.topic, count), key=lambda r: r.offset)
        return [record.value for record in records]


@pytest.fixture
async def box(settings: ServiceSettings) -> AsyncIterator[Box]:
    mongo = create_client(settings.mongodb_uri)
    outbox = Outbox(mongo[settings.database_name("relaying")]["outbox"])
    await prepare_outbox(outbox)  # as a service does at start
    opened = Box(settings, outbox, Topics(settings.topic_prefix).of("companies"))
    yield opened
    for relay in opened.relays:
        await relay.close()
    await mongo.close()


async def test_a_batch_is_published_in_order_and_recorded_in_one_cursor_write(box: Box) -> None:
    await box.outbox.append([row(box.topic, f"k{i % 4}", f"v{i}".encode()) for i in range(120)])
    relay = box.relay()
    assert [await relay.relay_once() for _ in range(4)] == [50, 50, 20, 0]
    cursor = await box.outbox.cursor()
    assert (cursor.published, cursor.gaps, cursor.version) == (120, (), 3)  # a write a pass
    assert await box.outbox.backlog() == 0
    records = sorted(await read_topic(box.settings, box.topic, 120), key=lambda r: r.offset)
    for key in (b"k0", b"k1", b"k2", b"k3"):
        values = [int(r.value[1:]) for r in records if r.key == key]
        assert values == sorted(values) and len(values) == 30


async def test_a_row_committing_late_inside_a_published_range_is_published(box: Box) -> None:
    relay = box.relay()
    client = box.outbox.collection.database.client
    async with transaction(client) as session:
        await box.outbox.collection.database["state"].insert_one({"change": 1}, session=session)
        first = await box.outbox.allocate(1)  # as add_all does, then the relay passes
        await box.add(b"after")  # the next number commits first
        assert await relay.relay_once() == 1
        cursor = await box.outbox.cursor()
        assert cursor.published == first + 1
        assert [(g.low, g.high) for g in cursor.gaps] == [(first, first)]
        late = {**row(box.topic, "k", b"late"), "_id": first, "seq": first}
        await box.outbox.collection.insert_one(late, session=session)
    assert await relay.relay_once() == 1  # committed now: found in its gap
    assert (await box.outbox.cursor()).gaps == ()
    assert await box.values(2) == [b"after", b"late"]


async def test_an_aborted_transactions_numbers_never_block_and_close_after_the_horizon(
    box: Box,
) -> None:
    await box.outbox.allocate(3)  # a transaction took 1..3, then aborted
    await box.add(b"v4", b"v5")
    patient = box.relay(gap_horizon=timedelta(hours=1))
    assert await patient.relay_once() == 2  # published past the gap at once
    assert [(g.low, g.high) for g in (await box.outbox.cursor()).gaps] == [(1, 3)]
    assert await patient.relay_once() == 0
    assert [(g.low, g.high) for g in (await box.outbox.cursor()).gaps] == [(1, 3)]
    await patient.close()
    hasty = box.relay(gap_horizon=timedelta(0))
    await box.add(b"v6")
    assert await hasty.relay_once() == 1
    assert (await box.outbox.cursor()).gaps == ()  # closed by tombstones
    stones = await box.outbox.collection.count_documents({"tombstone": True})
    assert stones == 3 and await box.outbox.backlog() == 0
    assert await box.values(3) == [b"v4", b"v5", b"v6"]


async def test_a_gap_whose_row_committed_is_published_not_closed(box: Box) -> None:
    first = await box.outbox.allocate(1)  # taken; its row commits only after the pass
    await box.add(b"v2")
    relay = box.relay(gap_horizon=timedelta(0))
    assert await relay.relay_once() == 1
    await box.outbox.collection.insert_one({**row(box.topic, "k", b"v1"), "_id": first,
                                            "seq": first})  # fmt: skip
    await box.add(b"v3")
    assert await relay.relay_once() == 2
    assert await box.outbox.collection.count_documents({"tombstone": True}) == 0
    assert await box.values(3) == [b"v2", b"v1", b"v3"]


# A relay in a process of its own that publishes its batch and dies by SIGKILL as it sends
# the write moving its cursor.
DYING_RELAY = """
import asyncio, os, signal, sys
from datetime import timedelta
from functools import partial

from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandListener

from shared.kafka import create_producer
from shared.metrics import ServiceMetrics
from shared.outbox import LEASE, Lease, Outbox
from shared.outbox_migration import prepare_outbox
from shared.relay import OutboxRelay
from tests.support import isolated_settings

uri, bootstrap, database = sys.argv[1:4]


class CursorWrite(CommandListener):
    def started(self, event):
        if event.command_name == "update" and event.command.get("update") == "leases":
            os.kill(os.getpid(), signal.SIGKILL)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


async def main():
    mongo = AsyncMongoClient(uri, tz_aware=True, event_listeners=[CursorWrite()])
    outbox = Outbox(mongo[database]["outbox"])
    relay = OutboxRelay(
        outbox,
        partial(create_producer, isolated_settings(uri, bootstrap), "dying-relay"),
        outbox.lease(timedelta(seconds=1)),
        poll_seconds=0.05, retention=timedelta(days=1), metrics=ServiceMetrics(),
    )
    await relay.relay_once()


asyncio.run(main())
"""


async def test_a_relay_killed_before_its_cursor_write_leaves_only_its_batch_to_send_again(
    box: Box,
) -> None:
    await box.add(b"v1", b"v2")
    assert await box.relay(lease_seconds=1).relay_once() == 2
    await box.relays.pop().close()  # lets go of the lease
    await box.add(b"v3", b"v4")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DYING_RELAY,
        box.settings.mongodb_uri, box.settings.kafka_bootstrap_servers,
        box.outbox.collection.database.name, cwd=REPO,
    )  # fmt: skip
    assert await asyncio.wait_for(process.wait(), timeout=60) == -signal.SIGKILL
    assert (await box.outbox.cursor()).published == 2
    successor = box.relay(lease_seconds=1)
    await asyncio.sleep(1.1)  # the dead holder's lease (1 s) runs out
    assert await successor.relay_once() == 2
    assert await box.values(6) == [b"v1", b"v2", b"v3", b"v4", b"v3", b"v4"]


class TakeoverDuringRead(monitoring.CommandListener):
    """Another relay takes the lease and moves the cursor while this one reads its batch."""

    def __init__(self, uri: str, database: str) -> None:
        self.uri, self.database, self.done = uri, database, False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.done or event.command_name != "find" or event.command.get("find") != "outbox":
            return
        self.done = True
        with MongoClient[dict[str, Any]](self.uri) as other:  # listeners are synchronous
            other[self.database]["leases"].update_one(
                {"_id": LEASE}, {"$set": {"holder": "another relay"}, "$inc": {"version": 1}}
            )

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_a_relay_that_lost_its_lease_mid_pass_does_not_move_the_cursor(box: Box) -> None:
    database = box.outbox.collection.database.name
    takeover = TakeoverDuringRead(box.settings.mongodb_uri, database)
    watched = AsyncMongoClient[dict[str, Any]](box.settings.mongodb_uri, event_listeners=[takeover])
    try:
        outbox = Outbox(watched[database]["outbox"])
        await outbox.append([row(box.topic, "k", b"v1"), row(box.topic, "k", b"v2")])
        relay = relay_for(outbox, box.settings, 30)
        box.relays.append(relay)
        assert await relay.relay_once() == 2  # published (the next holder sends them again)
        lease = await box.outbox.leases.find_one({"_id": LEASE})
        assert lease is not None
        assert (lease["holder"], lease.get("published", 0)) == ("another relay", 0)
        assert not relay.lease.fresh  # it asks for the lease again before its next pass
    finally:
        await watched.close()


async def test_a_failure_part_way_leaves_only_the_unacknowledged_tail_of_its_key(
    box: Box,
) -> None:
    await box.outbox.append(
        [
            row(box.topic, "a", b"a1"),
            row(box.topic, "b", b"b1" + b"x" * TOO_LARGE),  # the broker will never take it
            row(box.topic, "a", b"a2"),
            row(box.topic, "b", b"b2"),  # must not overtake b1
            row(box.topic, "c", b"c1"),
        ]
    )
    relay = box.relay()
    assert await relay.relay_once() == 3
    assert await box.outbox.backlog() == 2
    cursor = await box.outbox.cursor()
    assert [(g.low, g.high) for g in cursor.gaps] == [(2, 2), (4, 4)]
    assert await relay.relay_once() == 0  # the next pass sends only the tail again
    records = await read_topic(box.settings, box.topic, 5)
    assert sorted(record.value[:2] for record in records) == [b"a1", b"a2", b"b2", b"b2", b"c1"]


async def test_an_idle_relay_writes_nothing(box: Box) -> None:
    leases = box.outbox.leases
    task = asyncio.create_task(box.relay(lease_seconds=1.2).run())
    try:
        await asyncio.sleep(0.5)  # ten polls of an empty outbox
        assert await leases.count_documents({}) == 0
        await box.add(b"work")
        await eventually(lambda: _published(box, 1))
        held = await leases.find_one({})
        assert held is not None
        await asyncio.sleep(1.5)  # past the lease's renewal point, with nothing to do
        assert await leases.find_one({}) == held  # not renewed: no write
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_an_open_gap_alone_takes_no_lease_and_writes_nothing(box: Box) -> None:
    await box.outbox.allocate(1)  # a transaction in flight (or aborted) holds number 1
    await box.add(b"v2")
    relay = box.relay(lease_seconds=1.2)
    assert await relay.relay_once() == 1
    held = await box.outbox.leases.find_one({})
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(1.5)  # past the lease's renewal point: the gap is read, no more
        assert await box.outbox.leases.find_one({}) == held
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _published(box: Box, through: int) -> bool:
    return (await box.outbox.cursor()).published >= through


async def test_a_successor_publishes_soon_after_a_holder_dies_without_letting_go(
    box: Box,
) -> None:
    dead, successor = box.relay(lease_seconds=1.5), box.relay(lease_seconds=1.5)
    assert await dead.lease.acquire()  # then it is killed: no release
    expires = asyncio.get_running_loop().time() + 1.5
    await box.add(b"after the crash")
    assert await successor.relay_once() == 0  # the dead holder's lease still runs
    # Not a timed test: the first pass after the lease has run out publishes, however slow
    # the machine, so the successor waits out one lease and no more.
    await asyncio.sleep(max(0.0, expires - asyncio.get_running_loop().time()) + 0.1)
    assert await successor.relay_once() == 1


class Finds(monitoring.CommandListener):
    """The collections and filters of the finds a client sent, in order."""

    def __init__(self) -> None:
        self.found: list[tuple[str, dict[str, Any]]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            found = (str(event.command["find"]), dict(event.command.get("filter", {})))
            self.found.append(found)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def of(self, *collections: str) -> list[dict[str, Any]]:
        return [found for collection, found in self.found if collection in collections]


@asynccontextmanager
async def watched_backlog(box: Box, finds: Finds) -> AsyncIterator[OutboxRelay]:
    """170 pending rows over three keys and a relay (batches of 50) whose client reports
    its finds."""
    watched = AsyncMongoClient[dict[str, Any]](box.settings.mongodb_uri, event_listeners=[finds])
    try:
        outbox = Outbox(watched[box.outbox.collection.database.name]["outbox"])
        await outbox.append([row(box.topic, f"k{i % 3}", f"v{i}".encode()) for i in range(170)])
        relay = relay_for(outbox, box.settings, 5)
        box.relays.append(relay)
        yield relay
    finally:
        await watched.close()


async def test_every_read_of_a_backlog_is_a_range_bounded_on_both_sides(box: Box) -> None:
    # Engines without limit push-down (SecantusDB) read every match of an open range: a
    # backlog's batches would each cost the whole backlog.
    finds = Finds()
    async with watched_backlog(box, finds) as relay:
        assert [await relay.relay_once() for _ in range(5)] == [50, 50, 50, 20, 0]
    ranges = [(f["seq"]["$gte"], f["seq"]["$lte"]) for f in finds.of("outbox")]
    assert ranges == [(1, 50), (51, 100), (101, 150), (151, 170)]  # idle: no read at all


async def test_a_pass_after_its_own_cursor_write_reads_neither_the_counter_nor_the_cursor(
    box: Box,
) -> None:
    finds = Finds()
    async with watched_backlog(box, finds) as relay:
        per_pass = []
        for _ in range(5):
            before = len(finds.of("sequences", "leases"))
            await relay.relay_once()
            per_pass.append(len(finds.of("sequences", "leases")) - before)
        # The first pass reads the counter and the cursor (again once it holds the lease);
        # the next three start where its own write left the cursor; the caught-up relay
        # reads both again, as an idle one does.
        assert per_pass == [3, 0, 0, 0, 2]
    assert (await box.outbox.cursor()).published == 170


async def test_commits_close_behind_the_one_that_woke_the_relay_share_its_pass(
    box: Box,
) -> None:
    # Each pass costs reads and a cursor write however few rows it carries: a woken
    # relay lingers so the commits right behind join the same pass. Only the nudge wakes
    # it here (no poll), and the linger outlasts the three commits on any machine.
    relay = relay_for(box.outbox, box.settings, 5, linger_seconds=3.0, poll_seconds=60)
    box.relays.append(relay)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.1)  # the relay is waiting for work
        for index in range(3):
            await box.add(f"v{index}".encode())
            box.outbox.nudge()
            await asyncio.sleep(0.15)  # spaced as separate requests' commits are
        await eventually(lambda: _published(box, 3))
        assert (await box.outbox.cursor()).version == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_replay_between_passes_is_followed_though_the_relay_knew_its_cursor(
    box: Box,
) -> None:
    await box.outbox.append([row(box.topic, "k", f"v{i}".encode()) for i in range(120)])
    relay = box.relay()
    assert await relay.relay_once() == 50
    assert await replay_since(box.outbox.collection, datetime.min.replace(tzinfo=UTC)) == 120
    # The next pass starts from the cursor it wrote (51..100); the replay moved the cursor
    # since, so its write is refused and the pass after reads the replayed cursor.
    assert [await relay.relay_once() for _ in range(5)] == [50, 50, 50, 20, 0]
    cursor = await box.outbox.cursor()
    assert (cursor.published, cursor.gaps) == (120, ())
    values = [f"v{i}".encode() for i in range(120)]
    assert await box.values(220) == values[:100] + values  # nothing lost, in order again


class CountingProducer(AIOKafkaProducer):  # type: ignore[misc]  # aiokafka is untyped
    """A real producer that counts how records were handed to it."""

    sends = 0
    batches = 0

    async def send(self, *args: Any, **kwargs: Any) -> Any:
        self.sends += 1
        return await super().send(*args, **kwargs)

    async def send_batch(self, *args: Any, **kwargs: Any) -> Any:
        self.batches += 1
        return await super().send_batch(*args, **kwargs)


async def test_records_are_handed_over_in_batches_to_the_partitions_send_would_choose(
    box: Box,
) -> None:
    # ``send`` per record was most of the relay's CPU; batches must still put every key
    # where ``send`` puts it (one partition per key, in order), whatever their sizes.
    keys = [f"k{i}" for i in range(12)]
    values = [f"v{i:03}".encode() + (b"x" * 100_000 if i == 30 else b"") for i in range(120)]
    await box.outbox.append([row(box.topic, keys[i % 12], v) for i, v in enumerate(values)])
    producer = CountingProducer(bootstrap_servers=box.settings.kafka_bootstrap_servers, acks="all")
    relay = OutboxRelay(
        box.outbox,
        lambda: producer,
        box.outbox.lease(timedelta(seconds=5)),
        poll_seconds=0.05,
        retention=timedelta(days=1),
        metrics=ServiceMetrics(),
        batch_size=50,
    )
    box.relays.append(relay)
    assert [await relay.relay_once() for _ in range(3)] == [50, 50, 20]
    assert producer.sends == 0 and 3 <= producer.batches < 120
    plain = create_producer(box.settings, "plain")
    await plain.start()
    try:  # one more record per key, as ``send`` places it
        for key in keys:
            await plain.send_and_wait(box.topic, value=b"plain", key=key.encode())
    finally:
        await plain.stop()
    records = await read_topic(box.settings, box.topic, 132)
    for key in keys:
        mine = sorted((r for r in records if r.key == key.encode()), key=lambda r: r.offset)
        assert len({r.partition for r in mine}) == 1
        expected = [v[:4] for i, v in enumerate(values) if keys[i % 12] == key] + [b"plai"]
        assert [r.value[:4] for r in mine] == expected
