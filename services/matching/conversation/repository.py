"""The messages of matches' threads."""

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.matching.conversation.model import MatchMessage
from shared.mongo import Document


class MessageRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["match_messages"]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("match_id", ASCENDING), ("_id", ASCENDING)])

    async def add(self, message: MatchMessage, session: AsyncClientSession) -> None:
        document = {**message.model_dump(), "_id": message.message_id}
        await self.collection.insert_one(document, session=session)

    async def of_match(self, match_id: str, after: str | None, limit: int) -> list[MatchMessage]:
        """Up to ``limit`` messages after the one named, oldest first."""
        criteria: Document = {"match_id": match_id}
        if after is not None:
            criteria["_id"] = {"$gt": after}
        cursor = self.collection.find(criteria).sort("_id", ASCENDING).limit(limit)
        return [MatchMessage.model_validate(document) async for document in cursor]
