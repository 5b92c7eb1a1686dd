"""The desks' tag lists in MongoDB: one document per desk country."""

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.inquiries.administration.config import replace_versioned
from services.inquiries.tags.model import NO_TAGS, DeskTags
from shared.mongo import Document

Session = AsyncClientSession | None


class TagRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["desk_tags"]

    async def of(self, country: str, session: Session = None) -> DeskTags:
        """The desk's list; empty until someone first saves one."""
        document = await self.collection.find_one({"_id": country}, {"_id": False}, session=session)
        return NO_TAGS if document is None else DeskTags.model_validate(document)

    async def save(self, country: str, tags: DeskTags, session: AsyncClientSession) -> bool:
        """Store ``tags`` if the stored list is still at ``tags.version - 1`` (0: none)."""
        document = tags.model_dump(mode="json")
        return await replace_versioned(self.collection, country, document, tags.version, session)
