"""Match suggestions attached to partner-search inquiries (fed by the matches stream)."""

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.inquiries.views import Suggestion
from shared.mongo import Document


class SuggestionRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["suggestions"]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("inquiry_id", ASCENDING), ("score", DESCENDING)])
        await self.collection.create_index("match_id")

    async def upsert(self, suggestion: Suggestion, session: AsyncClientSession) -> bool:
        """Keep the newest version of a match per inquiry; True when this one is new."""
        key = f"{suggestion.inquiry_id}:{suggestion.match_id}"
        result = await self.collection.update_one(
            {"_id": key, "version": {"$lt": suggestion.version}},
            {"$set": suggestion.model_dump()},
            session=session,
        )
        if result.matched_count:
            return False
        existing = await self.collection.find_one({"_id": key}, session=session)
        if existing is not None:
            return False  # as new or newer already: an older version arrived late
        await self.collection.insert_one({"_id": key, **suggestion.model_dump()}, session=session)
        return True

    async def withdraw(self, match_id: str, session: AsyncClientSession) -> None:
        await self.collection.update_many(
            {"match_id": match_id}, {"$set": {"withdrawn": True}}, session=session
        )

    async def of(self, inquiry_id: str) -> list[Suggestion]:
        cursor = self.collection.find({"inquiry_id": inquiry_id}).sort("score", DESCENDING)
        return [Suggestion.model_validate(document) async for document in cursor]
