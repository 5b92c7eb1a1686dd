"""Documents kept in memory while their change stream reports no change: a read a request
makes is answered without a round trip, and a change (a revoked key) is seen at once."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.auth import KeyReplica, Role, issue_key
from shared.contracts.identity import ApiKeyRevoked
from shared.mongo import Document, MongoClient, create_client, transaction
from shared.settings import ServiceSettings
from shared.tasks import cancel_and_wait
from shared.watched import WatchedDocuments
from tests.support import eventually


@pytest.fixture
async def mongo(settings: ServiceSettings) -> AsyncIterator[MongoClient]:
    client = create_client(settings.mongodb_uri)
    yield client
    await client.close()


class CountedReads:
    def __init__(self, collection: Any, key: str) -> None:
        self.collection, self.key, self.reads = collection, key, 0

    async def __call__(self) -> Document | None:
        self.reads += 1
        found: Document | None = await self.collection.find_one({"_id": self.key})
        return found


async def stored_rules(
    mongo: MongoClient, database: str
) -> tuple[Any, WatchedDocuments[Document | None], CountedReads]:
    """A stored document, its collection's watched memory (not yet watching) and a reader."""
    collection = mongo[database]["settings"]
    await collection.insert_one({"_id": "rules", "v": 1})
    return collection, WatchedDocuments(collection), CountedReads(collection, "rules")


async def test_a_kept_document_is_read_again_only_after_it_changed(
    mongo: MongoClient, settings: ServiceSettings
) -> None:
    collection, watched, read = await stored_rules(mongo, settings.database_name("watched"))
    task = asyncio.create_task(watched.watch())
    try:

        async def answered_from_memory() -> bool:
            before = await watched.get("rules", read)
            reads = read.reads
            again = await watched.get("rules", read)
            return before == again and read.reads == reads

        await eventually(answered_from_memory)
        await collection.update_one({"_id": "rules"}, {"$set": {"v": 2}})  # another writer

        async def changed() -> bool:
            document = await watched.get("rules", read)
            return document is not None and document["v"] == 2

        await eventually(changed, timeout=5)
        await eventually(answered_from_memory)
    finally:
        await cancel_and_wait(task)


async def test_a_key_revoked_through_another_replica_stops_working(
    mongo: MongoClient, settings: ServiceSettings
) -> None:
    database = mongo[settings.database_name("watched_keys")]
    pepper = settings.pepper()
    mine, theirs = (
        KeyReplica(database["api_keys"], pepper),
        KeyReplica(database["api_keys"], pepper),
    )
    tasks = [asyncio.create_task(replica.watch()) for replica in (mine, theirs)]
    key = issue_key(Role.DESK, "VN", "desk VN", pepper)
    try:
        async with transaction(mongo) as session:
            await theirs.record_issued(key.event, session)

        async def kept() -> bool:  # authenticated, and answered from memory from now on
            principal = await mine.authenticate(key.plaintext)
            return principal is not None and mine.watched.holds(key.event.key_id)

        await eventually(kept)
        revoked = ApiKeyRevoked(key_id=key.event.key_id, revoked_at=datetime.now(UTC), reason="x")
        async with transaction(mongo) as session:
            await theirs.record_revoked(revoked, session)

        async def refused() -> bool:
            return await mine.authenticate(key.plaintext) is None

        await eventually(refused, timeout=5)
        assert await theirs.authenticate(key.plaintext) is None
    finally:
        for task in tasks:
            await cancel_and_wait(task)


async def test_without_its_stream_every_read_goes_to_the_database(
    mongo: MongoClient, settings: ServiceSettings
) -> None:
    _, watched, read = await stored_rules(mongo, settings.database_name("watched_off"))
    for _ in range(3):
        await watched.get("rules", read)
    assert read.reads == 3
