"""Answer templates in MongoDB: the only code that touches their collection."""

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.inquiries.administration.config import replace_versioned
from services.inquiries.answers.model import AnswerTemplate
from shared.mongo import Document

Session = AsyncClientSession | None


class AnswerTemplateRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["answer_templates"]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("country", ASCENDING), ("name", ASCENDING)])

    async def get(self, template_id: str, session: Session = None) -> AnswerTemplate | None:
        document = await self.collection.find_one({"_id": template_id}, session=session)
        return None if document is None else _template(document)

    async def listed(
        self, countries: list[str | None] | None, queue: str | None
    ) -> list[AnswerTemplate]:
        """``countries``: the desks whose templates to list (None: a queue's own, without a
        desk); None for all."""
        criteria: dict[str, Any] = {}
        if countries is not None:
            criteria["country"] = {"$in": countries}
        if queue is not None:
            criteria["queue"] = queue
        cursor = self.collection.find(criteria).sort([("name", ASCENDING), ("_id", ASCENDING)])
        return [_template(document) async for document in cursor.limit(500)]

    async def put(self, template: AnswerTemplate, session: AsyncClientSession) -> bool:
        """Store ``template`` at its version if the stored one is still at the one before."""
        document = template.model_dump(exclude={"template_id"})
        return await replace_versioned(
            self.collection, template.template_id, document, template.version, session
        )

    async def delete(self, template_id: str, session: AsyncClientSession) -> None:
        await self.collection.delete_one({"_id": template_id}, session=session)


def _template(document: Document) -> AnswerTemplate:
    fields = {key: value for key, value in document.items() if key != "_id"}
    return AnswerTemplate.model_validate({**fields, "template_id": document["_id"]})
