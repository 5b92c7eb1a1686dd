"""The relay in batches: order, one marking write, a part-way failure, idle, takeover."""

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from bson import Binary
from pymongo import AsyncMongoClient, monitoring

from shared.kafka import create_producer
from shared.metrics import ServiceMetrics
from shared.mongo import create_client
from shared.outbox import Lease, Outbox
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.support import eventually, read_topic

REPO = Path(__file__).resolve().parents[2]  # the child imports shared/ and tests/ from here
TOO_LARGE = 2 * 1024 * 1024  # over the producer's max_request_size: refused at send


def row(topic: str, key: str, value: bytes) -> dict[str, Any]:
    return {"topic": topic, "key": key, "value": Binary(value), "headers": [],
            "event_id": value[:20].decode(), "event_type": "test",
            "created_at": datetime.now(UTC), "sent_at": None, "replays": 0}  # fmt: skip


def relay_for(
    outbox: Outbox,
    settings: ServiceSettings,
    lease_seconds: float,
    linger_seconds: float = 0.0,
    poll_seconds: float = 0.05,
) -> OutboxRelay:
    return OutboxRelay(
        outbox,
        partial(create_producer, settings, "batch-relay"),
        Lease(
            outbox.collection.database["leases"], "outbox-relay", timedelta(seconds=lease_seconds)
        ),
        poll_seconds=poll_seconds,
        linger_seconds=linger_seconds,
        retention=timedelta(days=1),
        metrics=ServiceMetrics(),
        batch_size=50,
    )


@dataclass
class Box:
    """An outbox of the test's own, the topic its rows go to, and relays for it."""

    settings: ServiceSettings
    outbox: Outbox
    topic: str
    relays: list[OutboxRelay] = field(default_factory=list)

    def relay(self, lease_seconds: float = 5) -> OutboxRelay:
        self.relays.append(relay_for(self.outbox, self.settings, lease_seconds))
        return self.relays[-1]

    async def pending(self) -> list[dict[str, Any]]:
        return await self.outbox.collection.find({"sent_at": None}).sort("_id", 1).to_list()


@pytest.fixture
async def box(settings: ServiceSettings) -> AsyncIterator[Box]:
    mongo = create_client(settings.mongodb_uri)
    outbox = Outbox(mongo[settings.database_name("relaying")]["outbox"])
    opened = Box(settings, outbox, Topics(settings.topic_prefix).of("companies"))
    yield opened
    for relay in opened.relays:
        await relay.close()
    await mongo.close()


async def test_a_batch_is_published_and_marked_sent_in_order(box: Box) -> None:
    await box.outbox.collection.insert_many(
        [row(box.topic, f"k{i % 4}", f"v{i}".encode()) for i in range(120)]
    )
    relay = box.relay()
    # Batches of 50: three passes, each claiming its batch, one produce, one marking write.
    assert [await relay.relay_once() for _ in range(4)] == [50, 50, 20, 0]
    assert await box.pending() == []
    records = sorted(await read_topic(box.settings, box.topic, 120), key=lambda r: r.offset)
    for key in (b"k0", b"k1", b"k2", b"k3"):
        values = [int(r.value[1:]) for r in records if r.key == key]
        assert values == sorted(values) and len(values) == 30


# A relay in a process of its own that, as it sends the write marking its batch sent,
# sees a row commit inside the batch's id range (its id was taken before its commit), and
# then dies by SIGKILL the moment that write is answered.
DYING_RELAY = """
import asyncio, os, signal, sys
from datetime import UTC, datetime, timedelta
from functools import partial

from bson import Binary, ObjectId
from pymongo import AsyncMongoClient, MongoClient
from pymongo.monitoring import CommandListener

from shared.kafka import create_producer
from shared.metrics import ServiceMetrics
from shared.outbox import Lease, Outbox
from shared.relay import OutboxRelay
from tests.support import isolated_settings

uri, bootstrap, database, topic, late_id = sys.argv[1:6]


class Marking(CommandListener):
    marking = False

    def started(self, event):
        if event.command_name != "update":
            return
        if "sent_at" in event.command["updates"][0]["u"].get("$set", {}):
            self.marking = True
            with MongoClient(uri) as other:
                other[database]["outbox"].insert_one({
                    "_id": ObjectId(late_id), "topic": topic, "key": "k",
                    "value": Binary(b"late"), "headers": [], "event_id": "late",
                    "event_type": "test", "created_at": datetime.now(UTC),
                    "sent_at": None, "replays": 0,
                })

    def succeeded(self, event):
        if self.marking:
            os.kill(os.getpid(), signal.SIGKILL)

    def failed(self, event):
        pass


async def main():
    mongo = AsyncMongoClient(uri, tz_aware=True, event_listeners=[Marking()])
    outbox = Outbox(mongo[database]["outbox"])
    relay = OutboxRelay(
        outbox,
        partial(create_producer, isolated_settings(uri, bootstrap), "dying-relay"),
        Lease(mongo[database]["leases"], "dying-relay", timedelta(seconds=5)),
        poll_seconds=0.05, retention=timedelta(days=1), metrics=ServiceMetrics(),
    )
    await relay.relay_once()


asyncio.run(main())
"""


async def relay_dying_while_marking(box: Box) -> int:
    rows = [row(box.topic, "k", f"v{i}".encode()) for i in range(3)]
    ids = list((await box.outbox.collection.insert_many(rows)).inserted_ids)
    await box.outbox.collection.delete_one({"_id": ids[1]})  # the id the late row will have
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DYING_RELAY,
        box.settings.mongodb_uri, box.settings.kafka_bootstrap_servers,
        box.outbox.collection.database.name, box.topic, str(ids[1]),
        cwd=REPO,
    )  # fmt: skip
    return await asyncio.wait_for(process.wait(), timeout=60)


async def test_a_row_committed_inside_a_batch_range_survives_a_relay_killed_as_it_marks(
    box: Box,
) -> None:
    # Found by jamp chaos (sigkill companies): a registration stored, its outbox row marked
    # sent, its events on no topic. The range marking swept the late row with the batch
    # and the process died before the second write that put such rows back.
    assert await relay_dying_while_marking(box) == -signal.SIGKILL
    marked = {document["event_id"]: document["sent_at"] is not None
              async for document in box.outbox.collection.find({})}  # fmt: skip
    assert marked == {"v0": True, "v2": True, "late": False}
    relay = box.relay()
    assert await relay.relay_once() == 1  # the successor publishes it
    records = await read_topic(box.settings, box.topic, 3)
    assert b"late" in [record.value for record in records]


async def test_a_failure_part_way_leaves_only_the_unacknowledged_tail_of_its_key(
    box: Box,
) -> None:
    await box.outbox.collection.insert_many(
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
    assert [bytes(document["value"])[:2] for document in await box.pending()] == [b"b1", b"b2"]
    assert await relay.relay_once() == 0  # the next pass sends only the tail again
    records = await read_topic(box.settings, box.topic, 5)
    assert sorted(record.value[:2] for record in records) == [b"a1", b"a2", b"b2", b"b2", b"c1"]


async def test_an_idle_relay_writes_nothing(box: Box) -> None:
    leases = box.outbox.collection.database["leases"]
    task = asyncio.create_task(box.relay(lease_seconds=1.2).run())
    try:
        await asyncio.sleep(0.5)  # ten polls of an empty outbox
        assert await leases.count_documents({}) == 0
        await box.outbox.collection.insert_one(row(box.topic, "k", b"work"))
        await eventually(lambda: box.outbox.collection.find_one({"sent_at": {"$ne": None}}))
        held = await leases.find_one({})
        assert held is not None
        await asyncio.sleep(1.5)  # past the lease's renewal point, with nothing to do
        assert await leases.find_one({}) == held  # not renewed: no write
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_successor_publishes_soon_after_a_holder_dies_without_letting_go(
    box: Box,
) -> None:
    dead, successor = box.relay(lease_seconds=1.5), box.relay(lease_seconds=1.5)
    assert await dead.lease.acquire()  # then it is killed: no release
    expires = asyncio.get_running_loop().time() + 1.5
    await box.outbox.collection.insert_one(row(box.topic, "k", b"after the crash"))
    assert await successor.relay_once() == 0  # the dead holder's lease still runs
    # Not a timed test: the first pass after the lease has run out publishes, however slow
    # the machine, so the successor waits out one lease and no more.
    await asyncio.sleep(max(0.0, expires - asyncio.get_running_loop().time()) + 0.1)
    assert await successor.relay_once() == 1


class Finds(monitoring.CommandListener):
    """The filters of the finds a client sent, in order."""

    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.filters.append(dict(event.command.get("filter", {})))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_a_backlog_is_read_in_windows_bounded_above_after_its_first_batch(
    box: Box,
) -> None:
    # Engines that apply a sort's limit only after reading every match (SecantusDB) made
    # each batch of a backlog cost the whole backlog: after the first read of a backlog,
    # one read of its ids plans the next batches and every row read is bounded above.
    finds = Finds()
    watched = AsyncMongoClient[dict[str, Any]](box.settings.mongodb_uri, event_listeners=[finds])
    try:
        outbox = Outbox(watched[box.outbox.collection.database.name]["outbox"])
        await outbox.collection.insert_many(
            [row(box.topic, f"k{i % 3}", f"v{i}".encode()) for i in range(170)]
        )
        relay = relay_for(outbox, box.settings, 5)
        box.relays.append(relay)
        assert [await relay.relay_once() for _ in range(5)] == [50, 50, 50, 20, 0]
        # (The reads of a batch's claimed range aside: bounded by their range.)
        plan = [f for f in finds.filters if "_id" in f and "sent_batch" not in f]
        bounded = [set(f["_id"]) for f in plan]
        # The ids after the first batch, read once; then each batch up to a bound; the
        # last pass (nothing left) reads the whole pending set again, which is empty.
        assert bounded == [{"$gt"}, {"$lte"}, {"$lte"}, {"$lte"}]
        assert await box.pending() == []
    finally:
        await watched.close()


async def test_a_row_committed_late_below_a_planned_window_is_published_before_it(
    box: Box,
) -> None:
    rows = [row(box.topic, "k", f"v{i}".encode()) for i in range(120)]
    ids = list((await box.outbox.collection.insert_many(rows)).inserted_ids)
    relay = box.relay()
    assert await relay.relay_once() == 50  # windows planned for rows 50..119
    # Row 10's transaction "commits" only now (its id was taken before the batch's read).
    late = {**row(box.topic, "k", b"late"), "_id": ids[10]}
    await box.outbox.collection.delete_one({"_id": ids[10]})
    await box.outbox.collection.insert_one(late)
    while await relay.relay_once():
        pass
    records = sorted(await read_topic(box.settings, box.topic, 121), key=lambda r: r.offset)
    assert records[50].value == b"late"


async def test_commits_close_behind_the_one_that_woke_the_relay_share_its_pass(
    box: Box,
) -> None:
    # Each pass costs a read and a marking write however few rows it carries: a woken
    # relay lingers so the commits right behind join the same pass. Only the nudge wakes
    # it here (no poll), and the linger outlasts the three commits on any machine.
    relay = relay_for(box.outbox, box.settings, 5, linger_seconds=3.0, poll_seconds=60)
    box.relays.append(relay)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.1)  # the relay is waiting for work
        for index in range(3):
            await box.outbox.collection.insert_one(row(box.topic, "k", f"v{index}".encode()))
            box.outbox.nudge()
            await asyncio.sleep(0.15)  # spaced as separate requests' commits are

        async def all_sent() -> bool:
            return await box.outbox.collection.count_documents({"sent_at": None}) == 0

        await eventually(all_sent)
        batches = await box.outbox.collection.distinct("sent_batch")
        assert len(batches) == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
