"""The dead-letter ledger: every record of a ``.dlq`` topic, its replays and discards."""

from bson import Binary
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.monitor.letters.model import REPLAYED_FROM, DeadLetter, LetterStatus, Replay
from services.monitor.masking import without_secrets
from shared.mongo import Document, new_id


class DeadLetterStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["dead_letters"]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("status", ASCENDING), ("seq", DESCENDING)])

    async def add(self, letter: DeadLetter, value: bytes | None) -> None:
        document = {**letter.model_dump(exclude={"id"}), "seq": new_id(), "value": _binary(value)}
        await self.collection.update_one(
            {"_id": letter.id}, {"$setOnInsert": document}, upsert=True
        )
        await self._failed_again(letter, value)

    async def _failed_again(self, letter: DeadLetter, value: bytes | None) -> None:
        """A replay that the same group dead-lettered again is not processed: its letter
        names the replay it came from (a header of the replay, kept by the dead-lettering)
        and sits where that replay was written. Anyone who writes to a DLQ writes its
        headers, so naming is not enough: the letter must be of the topic that replay went
        to, of its group, at its place, and hold the very record that was replayed."""
        source_id = letter.headers.get(REPLAYED_FROM)
        if source_id is None:
            return
        wanted = {"replays": True, "consumer_group": True, "original_topic": True, "value": True}
        source = await self.collection.find_one({"_id": source_id}, wanted)
        if source is None or not _replayed_as(source, letter, value):
            return
        place = (letter.original_partition, letter.original_offset)
        replays = [
            {**replay, "dead_lettered_again": letter.id}
            if (replay["partition"], replay["offset"]) == place
            else replay
            for replay in source["replays"]
        ]
        # Only over the replays read (a replay recorded meanwhile is not overwritten).
        await self.collection.update_one(
            {"_id": source_id, "replays": source["replays"]}, {"$set": {"replays": replays}}
        )

    async def get(self, letter_id: str) -> tuple[DeadLetter, bytes | None] | None:
        document = await self.collection.find_one({"_id": letter_id})
        if document is None:
            return None
        value = document.get("value")
        return _letter(document), None if value is None else bytes(value)

    async def list(
        self, status: LetterStatus | None, after: str | None, limit: int
    ) -> list[DeadLetter]:
        criteria: Document = {} if status is None else {"status": status}
        if after is not None:
            criteria["seq"] = {"$lt": after}
        cursor = self.collection.find(criteria, {"value": False})
        cursor = cursor.sort("seq", DESCENDING).limit(limit + 1)
        return [_letter(document) async for document in cursor]

    async def record_replay(
        self, letter_id: str, replay: Replay, session: AsyncClientSession
    ) -> None:
        await self.collection.update_one(
            {"_id": letter_id},
            {"$set": {"status": "replayed"}, "$push": {"replays": replay.model_dump()}},
            session=session,
        )

    async def record_discard(
        self, letter_id: str, reason: str, by: str, session: AsyncClientSession
    ) -> bool:
        """Only a letter still pending can be discarded."""
        result = await self.collection.update_one(
            {"_id": letter_id, "status": "pending"},
            {"$set": {"status": "discarded", "discarded_reason": reason, "discarded_by": by}},
            session=session,
        )
        return result.modified_count == 1


def _letter(document: Document) -> DeadLetter:
    document = {name: value for name, value in document.items() if name != "value"}
    data = without_secrets(document.get("data"))
    return DeadLetter.model_validate({**document, "id": document.pop("_id"), "data": data})


def _replayed_as(source: Document, letter: DeadLetter, value: bytes | None) -> bool:
    """Whether the letter can be a failure of a replay of ``source``: the same group, the
    topic its replays went to (the letter's DLQ's own), the same record."""
    replayed = source.get("value")
    return (
        source.get("consumer_group") == letter.consumer_group
        and source.get("original_topic") == letter.original_topic
        and replayed is not None
        and value == bytes(replayed)
    )


def _binary(value: bytes | None) -> Binary | None:
    return None if value is None else Binary(value)
