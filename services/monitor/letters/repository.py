"""The dead-letter ledger: every record of a ``.dlq`` topic, its replays and discards."""

from bson import Binary
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.monitor.letters.model import DeadLetter, LetterStatus, Replay
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


def _binary(value: bytes | None) -> Binary | None:
    return None if value is None else Binary(value)
