"""Saved views in MongoDB: the only code that touches their collection."""

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.inquiries.administration.config import KeptDocuments
from services.inquiries.saved_views.model import SavedView
from shared.mongo import Document


class SavedViewRepository(KeptDocuments[SavedView]):
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        super().__init__(database["saved_views"], SavedView, "view_id")

    async def create_indexes(self) -> None:
        await self.collection.create_index([("owner", ASCENDING), ("name", ASCENDING)])
        await self.collection.create_index([("country", ASCENDING), ("shared", ASCENDING)])

    async def visible_to(self, person_id: str | None, desks: list[str] | None) -> list[SavedView]:
        """The person's own views and the shared views of ``desks`` (None: every desk)."""
        shared: dict[str, Any] = {"shared": True}
        if desks is not None:
            shared["country"] = {"$in": desks}
        either: list[dict[str, Any]] = [shared]
        if person_id is not None:
            either.append({"shared": False, "owner": person_id})
        order = [("name", ASCENDING), ("_id", ASCENDING)]
        cursor = self.collection.find({"$or": either}).sort(order).limit(500)
        return [self.of(document) async for document in cursor]
