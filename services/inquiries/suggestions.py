"""Match suggestions attached to partner-search inquiries (fed by the matches stream)."""

from collections.abc import Sequence

from pymongo import ASCENDING, DESCENDING, InsertOne, UpdateOne
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

    async def keep_newest(
        self, suggestions: Sequence[Suggestion], session: AsyncClientSession
    ) -> list[Suggestion]:
        """Keep the newest version of each match per inquiry; returns the suggestions that
        are new. One read and one write however many inquiries a match reaches (up to a
        page of them): a write each made a match event cost hundreds of round trips."""
        if not suggestions:
            return []
        keyed = {_key(suggestion): suggestion for suggestion in suggestions}
        stored = {
            document["_id"]: document["version"]
            async for document in self.collection.find(
                {"_id": {"$in": list(keyed)}}, {"version": True}, session=session
            )
        }
        writes: list[InsertOne[Document] | UpdateOne] = []
        new: list[Suggestion] = []
        for key, suggestion in keyed.items():
            if key not in stored:
                writes.append(InsertOne({"_id": key, **suggestion.model_dump()}))
                new.append(suggestion)
            elif stored[key] < suggestion.version:
                # Guarded again in the write: the version read is not trusted to still hold.
                match = {"_id": key, "version": {"$lt": suggestion.version}}
                writes.append(UpdateOne(match, {"$set": suggestion.model_dump()}))
            # else as new or newer already: an older version arrived late
        if writes:
            await self.collection.bulk_write(writes, session=session)
        return new

    async def withdraw(self, match_id: str, session: AsyncClientSession) -> None:
        await self.collection.update_many(
            {"match_id": match_id}, {"$set": {"withdrawn": True}}, session=session
        )

    async def of(self, inquiry_id: str) -> list[Suggestion]:
        cursor = self.collection.find({"inquiry_id": inquiry_id}).sort("score", DESCENDING)
        return [Suggestion.model_validate(document) async for document in cursor]


def _key(suggestion: Suggestion) -> str:
    return f"{suggestion.inquiry_id}:{suggestion.match_id}"
