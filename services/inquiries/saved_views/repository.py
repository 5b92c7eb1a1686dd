"""Saved views in MongoDB: the only code that touches their collection."""

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.inquiries.administration.config import replace_versioned
from services.inquiries.saved_views.model import SavedView
from shared.mongo import Document

Session = AsyncClientSession | None


class SavedViewRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["saved_views"]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("owner", ASCENDING), ("name", ASCENDING)])
        await self.collection.create_index([("country", ASCENDING), ("shared", ASCENDING)])

    async def get(self, view_id: str, session: Session = None) -> SavedView | None:
        document = await self.collection.find_one({"_id": view_id}, session=session)
        return None if document is None else _view(document)

    async def visible_to(self, person_id: str | None, desks: list[str] | None) -> list[SavedView]:
        """The person's own views and the shared views of ``desks`` (None: every desk)."""
        shared: dict[str, Any] = {"shared": True}
        if desks is not None:
            shared["country"] = {"$in": desks}
        either: list[dict[str, Any]] = [shared]
        if person_id is not None:
            either.append({"shared": False, "owner": person_id})
        cursor = self.collection.find({"$or": either}).sort(
            [("name", ASCENDING), ("_id", ASCENDING)]
        )
        return [_view(document) async for document in cursor.limit(500)]

    async def put(self, view: SavedView, session: AsyncClientSession) -> bool:
        """Store ``view`` at its version if the stored one is still at the one before."""
        document = view.model_dump(exclude={"view_id"})
        return await replace_versioned(
            self.collection, view.view_id, document, view.version, session
        )

    async def delete(self, view_id: str, session: AsyncClientSession) -> None:
        await self.collection.delete_one({"_id": view_id}, session=session)


def _view(document: Document) -> SavedView:
    fields = {key: value for key, value in document.items() if key != "_id"}
    return SavedView.model_validate({**fields, "view_id": document["_id"]})
