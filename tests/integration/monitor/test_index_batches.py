"""The event index is written a batch at a time, each record once."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from services.monitor.events.model import RawRecord, index_entry
from services.monitor.events.repository import RETIRED_INDEXES, TERMS_INDEX, EventIndex
from shared.contracts.companies import CompanyVerified
from shared.envelope import Envelope
from shared.mongo import create_client
from shared.settings import ServiceSettings

WRITTEN_AT = int(datetime(2026, 11, 28, tzinfo=UTC).timestamp() * 1000)


def raw(offset: int) -> RawRecord:
    return RawRecord(
        topic="jamp.companies.v1",
        partition=0,
        offset=offset,
        timestamp_ms=WRITTEN_AT,
        key=b"k",
        value=b'{"not": "an envelope"}',
        headers=[],
    )


@pytest.fixture
async def index(settings: ServiceSettings) -> AsyncIterator[EventIndex]:
    mongo = create_client(settings.mongodb_uri)
    yield EventIndex(mongo[settings.database_name("monitor")])
    await mongo.close()


async def test_a_batch_is_indexed_at_once_and_a_redelivered_part_is_not_repeated(
    index: EventIndex,
) -> None:
    first = await index.add_all([index_entry(raw(offset)) for offset in range(5)])
    assert [event.offset for event in first] == [0, 1, 2, 3, 4]
    again = await index.add_all([index_entry(raw(offset)) for offset in range(3, 8)])
    assert [event.offset for event in again] == [5, 6, 7]  # 3 and 4 were there
    assert await index.collection.count_documents({}) == 8
    assert await index.add_all([]) == []


def envelope_at(offset: int, company_id: str) -> RawRecord:
    event = Envelope.wrap(
        CompanyVerified(company_id=company_id, version=2, by="admin"),
        source="companies",
        subject=company_id,
    )
    return raw(offset).model_copy(
        update={"value": event.to_bytes(), "headers": event.kafka_headers()}
    )


async def test_a_record_read_again_at_a_new_place_moves_there_and_keeps_its_entry(
    index: EventIndex,
) -> None:
    # A broker that came back empty and had the record re-published holds it elsewhere.
    moved, other = envelope_at(0, "c-moved"), envelope_at(1, "c-other")
    [first] = await index.add_all([index_entry(moved)])
    again = moved.model_copy(update={"offset": 7, "timestamp_ms": WRITTEN_AT + 5_000})
    new = await index.add_all([index_entry(again), index_entry(other), index_entry(again)])

    assert [event.subject for event in new] == ["c-other"]
    stored = await index.get(first.id)
    assert stored is not None and (stored.offset, stored.seq) == (7, first.seq)
    assert stored.timestamp.timestamp() * 1000 == WRITTEN_AT + 5_000
    assert await index.collection.count_documents({}) == 2


async def test_an_index_nothing_reads_any_more_is_dropped_at_start(index: EventIndex) -> None:
    place = [("topic", 1), ("partition", 1), ("offset", 1), ("timestamp", -1)]
    await index.collection.create_index(place)  # as a database created before has it
    assert set(await index.collection.index_information()) >= RETIRED_INDEXES

    await index.create_indexes()
    await index.create_indexes()  # a second start finds nothing to drop
    present = set(await index.collection.index_information())
    assert not present & RETIRED_INDEXES
    assert {TERMS_INDEX, "subject_1_seq_-1", "timestamp_1"} <= present
