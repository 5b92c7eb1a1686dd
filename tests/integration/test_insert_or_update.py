"""``insert_or_update`` does what an upsert of each document in order does, inside a
transaction and outside one: a redelivered write neither fails nor aborts the transaction
it is part of, and a batch with documents already there writes the rest."""

import uuid

import pytest

from shared.mongo import Document, MongoClient, create_client, insert_or_update, transaction
from shared.settings import ServiceSettings


def names_of(document: Document) -> Document:
    return {"$set": {"names": document["names"]}}


@pytest.mark.parametrize("in_transaction", [False, True], ids=["alone", "in-a-transaction"])
async def test_new_documents_are_inserted_and_taken_ids_get_the_update_or_nothing(
    settings: ServiceSettings, in_transaction: bool
) -> None:
    # In a transaction, a taken id must neither fail the write nor abort the transaction.
    mongo = create_client(settings.mongodb_uri)
    try:
        await _upserts_as_mongodb_does(mongo, settings, in_transaction)
    finally:
        await mongo.close()


async def _upserts_as_mongodb_does(
    mongo: MongoClient, settings: ServiceSettings, in_transaction: bool
) -> None:
    collection = mongo[settings.database_name("upserts")][f"c{uuid.uuid4().hex}"]
    await collection.insert_one({"_id": "kept", "n": 1, "names": []})  # exists before a txn
    first = {"_id": "new", "n": 1, "names": ["a"]}
    again = {"_id": "new", "n": 2, "names": ["b"]}
    async with transaction(mongo) as session:
        used = session if in_transaction else None
        await insert_or_update(collection, [first], used)
        await insert_or_update(collection, [again], used, names_of)
        await insert_or_update(collection, [{"_id": "kept", "n": 2, "names": ["k"]}], used)
        batch = [
            {"_id": "b1", "n": 1, "names": ["x"]},
            {"_id": "new", "n": 3, "names": ["c"]},
            {"_id": "b2", "n": 1, "names": ["y"]},
            {"_id": "b1", "n": 2, "names": ["z"]},  # the same id again: applied after the first
        ]
        assert await insert_or_update(collection, batch, used, names_of) == {0, 2}
    stored = await collection.find({}).sort("_id", 1).to_list()
    assert stored == [
        {"_id": "b1", "n": 1, "names": ["z"]},
        {"_id": "b2", "n": 1, "names": ["y"]},
        {"_id": "kept", "n": 1, "names": []},
        {"_id": "new", "n": 1, "names": ["c"]},
    ]
