"""A claim ends only the sessions of members that are gone, never a live member's."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from shared.mongo import Document, MongoClient, create_client, transaction
from shared.settings import ServiceSettings
from shared.stale_transactions import SessionRegistry
from tests.support import eventually

GROUP = "members"


@pytest.fixture
async def mongo(settings: ServiceSettings) -> AsyncIterator[MongoClient]:
    client = create_client(settings.mongodb_uri)
    yield client
    await client.close()


def registry(
    mongo: MongoClient, settings: ServiceSettings, stale_seconds: float
) -> SessionRegistry:
    collection = mongo[settings.database_name("sessions")]["consumer_sessions"]
    return SessionRegistry(mongo, collection, GROUP, stale_after=timedelta(seconds=stale_seconds))


def counters(mongo: MongoClient, settings: ServiceSettings) -> AsyncCollection[Document]:
    return mongo[settings.database_name("sessions")]["counters"]


async def test_a_claim_leaves_a_live_members_transaction_in_hand_alone(
    mongo: MongoClient, settings: ServiceSettings
) -> None:
    # Generous: both members beat within it however loaded the machine is.
    first, second = registry(mongo, settings, 60), registry(mongo, settings, 60)
    await counters(mongo, settings).insert_one({"_id": "other", "n": 0})
    session, newcomer = mongo.start_session(), mongo.start_session()
    try:
        await first.claim(session)
        async with transaction(mongo, session=session):
            await counters(mongo, settings).insert_one({"_id": "c1", "n": 1}, session=session)
            await second.claim(newcomer)  # another member joins while ours is in hand
            await counters(mongo, settings).update_one(
                {"_id": "other"}, {"$inc": {"n": 1}}, session=session
            )
        assert await counters(mongo, settings).find_one({"_id": "c1"}) == {"_id": "c1", "n": 1}
    finally:
        await session.end_session()
        await newcomer.end_session()


async def test_a_member_that_stopped_beating_has_its_session_ended_for_its_successor(
    mongo: MongoClient, settings: ServiceSettings
) -> None:
    dead, successor = registry(mongo, settings, 1), registry(mongo, settings, 1)
    doomed, session = mongo.start_session(), mongo.start_session()
    await counters(mongo, settings).insert_one({"_id": "c1", "n": 0})
    await dead.claim(doomed)
    # Left open, as by a process killed mid-transaction (it never beats again).
    await doomed.start_transaction()
    await counters(mongo, settings).update_one({"_id": "c1"}, {"$inc": {"n": 1}}, session=doomed)
    await successor.claim(session)

    async def counted() -> bool:
        await successor.beat()
        try:
            async with transaction(mongo, session=session):
                await counters(mongo, settings).update_one(
                    {"_id": "c1"}, {"$inc": {"n": 10}}, session=session
                )
        except PyMongoError:  # write conflict with the dead member's open transaction
            return False
        return True

    try:
        # The server would keep the dead transaction (and its write lock) for 60 s.
        await eventually(counted, timeout=20)
        assert await counters(mongo, settings).find_one({"_id": "c1"}) == {"_id": "c1", "n": 10}
    finally:
        await session.end_session()
