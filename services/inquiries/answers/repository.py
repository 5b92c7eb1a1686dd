"""Answer templates in MongoDB: the only code that touches their collection."""

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.inquiries.administration.config import KeptDocuments
from services.inquiries.answers.model import AnswerTemplate
from shared.mongo import Document


class AnswerTemplateRepository(KeptDocuments[AnswerTemplate]):
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        super().__init__(database["answer_templates"], AnswerTemplate, "template_id")

    async def create_indexes(self) -> None:
        await self.collection.create_index([("country", ASCENDING), ("name", ASCENDING)])

    async def listed(
        self, countries: list[str | None] | None, queue: str | None
    ) -> list[AnswerTemplate]:
        """``countries``: the desks whose templates to list (None in it: the queue templates
        of no desk); None for all."""
        criteria: dict[str, Any] = {}
        if countries is not None:
            criteria["country"] = {"$in": countries}
        if queue is not None:
            criteria["queue"] = queue
        cursor = self.collection.find(criteria).sort([("name", ASCENDING), ("_id", ASCENDING)])
        return [self.of(document) async for document in cursor.limit(500)]
