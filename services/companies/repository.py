"""The companies collection: the only place that speaks MongoDB for this service."""

from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.companies.model import Company, CompanyQuery, CorporateNumberTaken
from shared.mongo import Document, Inserts
from shared.text import query_terms, terms
from shared.versioning import replace_versioned

CORPORATE_NUMBER_INDEX = "unique_corporate_number"


class CompanyRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["companies"]

    async def create_indexes(self) -> None:
        # Sparse: companies without a corporate number leave the field out entirely.
        await self.collection.create_index(
            "corporate_number", unique=True, sparse=True, name=CORPORATE_NUMBER_INDEX
        )
        for field in ("focus_areas", "tags", "countries", "status", "search_terms"):
            await self.collection.create_index([(field, ASCENDING), ("_id", DESCENDING)])

    async def add(self, company: Company, writes: Inserts) -> None:
        def taken(_: DuplicateKeyError) -> CorporateNumberTaken:
            return CorporateNumberTaken(
                f"corporate number {company.corporate_number} is already registered",
                field="body.corporate_number",
            )

        await writes.insert(self.collection, _to_document(company), taken=taken)

    async def get(
        self, company_id: str, session: AsyncClientSession | None = None
    ) -> Company | None:
        document = await self.collection.find_one({"_id": company_id}, session=session)
        return None if document is None else _from_document(document)

    async def save(self, company: Company, read_version: int, session: AsyncClientSession) -> None:
        """Write the new state, or raise StaleVersion if someone wrote since ``read_version``."""
        await replace_versioned(
            self.collection, _to_document(company), read_version, session, "company"
        )

    async def search(self, query: CompanyQuery, after: str | None) -> list[Company]:
        """Newest first; one page plus one row, so the caller knows whether more follow."""
        criteria: dict[str, Any] = {}
        if query.focus_area:
            criteria["focus_areas"] = query.focus_area
        if query.tag:
            criteria["tags"] = {"$all": query.tag}
        if query.country:
            criteria["countries"] = query.country
        if query.status:
            criteria["status"] = query.status
        if query.q and (wanted := query_terms(query.q)):
            criteria["search_terms"] = {"$all": sorted(wanted)}
        if after is not None:
            criteria["_id"] = {"$lt": after}
        cursor = self.collection.find(criteria).sort("_id", DESCENDING).limit(query.limit + 1)
        return [_from_document(document) async for document in cursor]


def _to_document(company: Company) -> Document:
    document = company.model_dump()
    document["_id"] = document.pop("company_id")
    if document["corporate_number"] is None:
        del document["corporate_number"]
    searchable = [company.name_en, company.name_ja or "", company.capability_statement]
    searchable += [reference.title for reference in company.references]
    document["search_terms"] = sorted(terms(" ".join(searchable)))
    return document


def _from_document(document: Document) -> Company:
    document = dict(document)
    document["company_id"] = document.pop("_id")
    document.setdefault("corporate_number", None)
    document.pop("search_terms", None)
    return Company.model_validate(document)
