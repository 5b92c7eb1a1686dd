"""A record the database refuses is indexed by its place and why; a write the database
refuses for every record (or cannot take at all) is raised, for the tail to retry: an
outage must not turn records into placeholders."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from services.monitor.events import handlers
from services.monitor.events.model import RawRecord, record_id
from services.monitor.events.repository import EventIndex
from services.monitor.letters.repository import DeadLetterStore
from services.monitor.streams.tail import TailHub
from shared.embedded import free_port
from shared.mongo import Document, create_client
from shared.settings import ServiceSettings

TOO_LARGE = b"x" * 17_000_000  # more than a MongoDB document holds (16 MiB)


def raw(offset: int, value: bytes, topic: str = "jamp.proposals.v1.dlq") -> RawRecord:
    return RawRecord(topic=topic, partition=0, offset=offset, timestamp_ms=1_000, key=b"k",
                     value=value, headers=[("dlq.error", b"boom")])  # fmt: skip


@dataclass
class Monitor:
    index: EventIndex
    letters: DeadLetterStore
    hub: TailHub

    async def record(self, raws: list[RawRecord]) -> None:
        await handlers.record(raws, index=self.index, letters=self.letters, hub=self.hub)


@pytest.fixture
async def database(settings: ServiceSettings) -> AsyncIterator[AsyncDatabase[Document]]:
    mongo = create_client(settings.mongodb_uri)
    yield mongo[settings.database_name("monitor")]
    await mongo.close()


def monitor_on(database: AsyncDatabase[Document]) -> Monitor:
    return Monitor(EventIndex(database), DeadLetterStore(database), TailHub())


async def test_a_record_too_large_to_store_is_indexed_and_listed_by_its_place_and_why(
    database: AsyncDatabase[Document],
) -> None:
    monitor = monitor_on(database)
    good = raw(1, b'{"data": {"n": 1}}')
    await monitor.record([raw(0, TOO_LARGE), good])

    placeholder = record_id(raw(0, TOO_LARGE), None)
    entry = await monitor.index.get(placeholder)
    assert entry is not None and entry.raw is None and entry.key is None
    assert entry.envelope_error == "could not be stored (BulkWriteError)"
    letter = await monitor.letters.get(placeholder)
    assert letter is not None and letter[1] is None  # no value: nothing a replay could send
    after = await monitor.index.get(record_id(good, None))
    assert after is not None and after.data == {"n": 1}


async def test_a_write_refused_for_every_record_is_raised_and_stores_no_placeholder(
    database: AsyncDatabase[Document],
) -> None:
    # A rule that no document passes: every write fails, whatever record it holds.
    await database.create_collection("events", validator={"nothing": {"$exists": True}})
    monitor = monitor_on(database)

    with pytest.raises(PyMongoError):
        await monitor.record([raw(0, TOO_LARGE), raw(1, b"{}")])
    assert await monitor.index.collection.count_documents({}) == 0


async def test_the_database_away_is_raised_at_once() -> None:
    mongo = create_client(f"mongodb://127.0.0.1:{free_port()}", timeout_ms=200)
    monitor = monitor_on(mongo["monitor"])
    with pytest.raises(PyMongoError):
        await monitor.record([raw(0, TOO_LARGE), raw(1, b"{}")])
    await mongo.close()
