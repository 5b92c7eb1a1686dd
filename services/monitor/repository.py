"""The monitor's own collections of records: the event index and the dead letters."""

import re
from datetime import datetime
from typing import Any

from bson import Binary
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.monitor.letters import DeadLetter, LetterStatus, Replay
from services.monitor.model import EventQuery, IndexedEvent
from shared.mongo import Document, new_id


class EventIndex:
    """Every record of every topic the monitor has read, findable by subject, correlation
    and the ids its payload mentions."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["events"]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("seq", DESCENDING)])
        for field in ("subject", "correlation_id", "refs", "topic", "type"):
            await self.collection.create_index([(field, ASCENDING), ("seq", DESCENDING)])
        await self.collection.create_index([("timestamp", ASCENDING)])

    async def add(self, event: IndexedEvent) -> IndexedEvent | None:
        """Index a record once; None when a redelivery finds it already there."""
        stored = event.model_copy(update={"seq": new_id()})
        document = {**stored.model_dump(exclude={"id"}), "text": stored.searchable_text()}
        result = await self.collection.update_one(
            {"_id": event.id}, {"$setOnInsert": document}, upsert=True
        )
        return stored if result.upserted_id is not None else None

    async def get(self, event_id: str) -> IndexedEvent | None:
        document = await self.collection.find_one({"_id": event_id})
        return None if document is None else _event(document)

    async def search(self, query: EventQuery, after: str | None) -> list[IndexedEvent]:
        """Newest first; one page plus one row, so the caller knows whether more follow."""
        criteria: dict[str, Any] = {
            field: value
            for field in ("topic", "type", "subject", "correlation_id")
            if (value := getattr(query, field))
        }
        if query.q:
            criteria["text"] = {"$regex": re.escape(query.q.lower())}
        if after is not None:
            criteria["seq"] = {"$lt": after}
        cursor = self.collection.find(criteria).sort("seq", DESCENDING).limit(query.limit + 1)
        return [_event(document) async for document in cursor]

    async def related(self, ident: str, limit: int = 1000) -> list[IndexedEvent]:
        """Events naming the id as subject, correlation or a payload reference."""
        criteria = {"$or": [{"subject": ident}, {"correlation_id": ident}, {"refs": ident}]}
        return await self._find(criteria, limit)

    async def correlated(self, correlation_ids: list[str], limit: int = 1000) -> list[IndexedEvent]:
        return await self._find({"correlation_id": {"$in": correlation_ids}}, limit)

    async def _find(self, criteria: Document, limit: int) -> list[IndexedEvent]:
        cursor = self.collection.find(criteria).sort("seq", ASCENDING).limit(limit)
        return [_event(document) async for document in cursor]

    async def counts_since(self, since: datetime) -> dict[tuple[str, int], int]:
        pipeline: list[Document] = [
            {"$match": {"timestamp": {"$gte": since}}},
            {"$group": {"_id": {"topic": "$topic", "partition": "$partition"}, "n": {"$sum": 1}}},
        ]
        cursor = await self.collection.aggregate(pipeline)
        return {(row["_id"]["topic"], row["_id"]["partition"]): row["n"] async for row in cursor}

    async def timestamp_at(self, topic: str, partition: int, offset: int) -> datetime | None:
        document = await self.collection.find_one(
            {"_id": f"{topic}:{partition}:{offset}"}, {"timestamp": True}
        )
        return None if document is None else document["timestamp"]


def _event(document: Document) -> IndexedEvent:
    return IndexedEvent.model_validate({**document, "id": document["_id"]})


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
    return DeadLetter.model_validate({**document, "id": document.pop("_id")})


def _binary(value: bytes | None) -> Binary | None:
    return None if value is None else Binary(value)
