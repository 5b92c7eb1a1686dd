"""The event index is written a batch at a time, each record once."""

from datetime import UTC, datetime

from services.monitor.events.model import RawRecord, index_entry
from services.monitor.events.repository import EventIndex
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


async def test_a_batch_is_indexed_at_once_and_a_redelivered_part_is_not_repeated(
    settings: ServiceSettings,
) -> None:
    mongo = create_client(settings.mongodb_uri)
    index = EventIndex(mongo[settings.database_name("monitor")])
    try:
        first = await index.add_all([index_entry(raw(offset)) for offset in range(5)])
        assert [event.offset for event in first] == [0, 1, 2, 3, 4]
        again = await index.add_all([index_entry(raw(offset)) for offset in range(3, 8)])
        assert [event.offset for event in again] == [5, 6, 7]  # 3 and 4 were there
        assert await index.collection.count_documents({}) == 8
        assert await index.add_all([]) == []
    finally:
        await mongo.close()
