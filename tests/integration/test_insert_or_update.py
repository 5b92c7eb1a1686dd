"""``insert_or_update`` does what an upsert does, inside a transaction and outside one:
a redelivered write must neither fail nor abort the transaction it is part of."""

import uuid

from shared.mongo import MongoClient, create_client, insert_or_update, transaction
from shared.settings import ServiceSettings


async def test_a_new_document_is_inserted_and_a_taken_id_gets_the_update_or_nothing(
    settings: ServiceSettings,
) -> None:
    mongo = create_client(settings.mongodb_uri)
    try:
        await _upserts_as_mongodb_does(mongo, settings, in_transaction=False)
    finally:
        await mongo.close()


async def test_in_a_transaction_a_taken_id_neither_fails_nor_aborts_it(
    settings: ServiceSettings,
) -> None:
    mongo = create_client(settings.mongodb_uri)
    try:
        await _upserts_as_mongodb_does(mongo, settings, in_transaction=True)
    finally:
        await mongo.close()


async def _upserts_as_mongodb_does(
    mongo: MongoClient, settings: ServiceSettings, in_transaction: bool
) -> None:
    collection = mongo[settings.database_name("upserts")][f"c{uuid.uuid4().hex}"]
    await collection.insert_one({"_id": "kept", "n": 1})  # the collection exists before a txn
    first = {"_id": "new", "n": 1, "names": ["a"]}
    again = {"_id": "new", "n": 2, "names": ["b"]}
    kept = {"_id": "kept", "n": 2}
    async with transaction(mongo) as session:
        used = session if in_transaction else None
        await insert_or_update(collection, first, used)
        await insert_or_update(collection, again, used, {"$set": {"names": ["b"]}})
        await insert_or_update(collection, kept, used)
    stored = await collection.find({}).sort("_id", 1).to_list()
    assert stored == [{"_id": "kept", "n": 1}, {"_id": "new", "n": 1, "names": ["b"]}]
