"""The inquiries, their messages and audit history: the only MongoDB code for them."""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.inquiries.commands import InquiryQuery
from services.inquiries.model import Inquiry
from services.inquiries.scope import Visibility
from shared.mongo import Document
from shared.text import query_terms, terms

Session = AsyncClientSession | None


class InquiryRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["inquiries"]
        self.messages = database["messages"]
        self.history = database["history"]

    async def create_indexes(self) -> None:
        for field in ("country", "status", "queue", "category", "sla_state", "search_terms"):
            await self.collection.create_index([(field, ASCENDING), ("_id", DESCENDING)])
        await self.collection.create_index("next_due", sparse=True)
        await self.collection.create_index([("proposal_id", ASCENDING)], sparse=True)
        await self.messages.create_index([("inquiry_id", ASCENDING), ("at", ASCENDING)])
        await self.history.create_index([("inquiry_id", ASCENDING), ("_id", ASCENDING)])

    async def add(self, inquiry: Inquiry, session: AsyncClientSession) -> None:
        await self.collection.insert_one(_to_document(inquiry), session=session)

    async def get(self, inquiry_id: str, session: Session = None) -> Inquiry | None:
        document = await self.collection.find_one({"_id": inquiry_id}, session=session)
        return None if document is None else _from_document(document)

    async def save(self, inquiry: Inquiry, read_version: int, session: AsyncClientSession) -> bool:
        """Compare-and-set on the version: False when someone else wrote meanwhile."""
        result = await self.collection.replace_one(
            {"_id": inquiry.inquiry_id, "version": read_version},
            _to_document(inquiry),
            session=session,
        )
        return result.matched_count == 1

    async def search(
        self, query: InquiryQuery, visibility: Visibility, after: str | None
    ) -> list[Inquiry]:
        criteria = {**_filters(query), **_scope(visibility)}
        if after is not None:
            criteria["_id"] = {"$lt": after}
        cursor = self.collection.find(criteria).sort("_id", DESCENDING).limit(query.limit + 1)
        return [_from_document(document) async for document in cursor]

    async def due(self, now: datetime, limit: int) -> list[str]:
        """Ids of inquiries with an SLA moment at or before ``now``."""
        cursor = self.collection.find({"next_due": {"$lte": now}}, {"_id": True}).limit(limit)
        return [document["_id"] async for document in cursor]

    async def running_in(self, country: str, session: AsyncClientSession) -> list[str]:
        """Ids of the country's open inquiries with a clock counting right now."""
        criteria = {"country": country, "sla_state": {"$in": ["running", "warning", "breached"]}}
        cursor = self.collection.find(criteria, {"_id": True, "clocks": True}, session=session)
        return [
            document["_id"]
            async for document in cursor
            if any(clock.get("running_since") for clock in document["clocks"].values())
        ]

    async def matching(
        self, proposal_id: str, country: str, focus_areas: list[str], session: AsyncClientSession
    ) -> list[Inquiry]:
        """Open partner-search inquiries about this proposal, or its country and areas."""
        about: list[dict[str, Any]] = [{"proposal_id": proposal_id}]
        if focus_areas:
            about.append({"country": country, "focus_areas": {"$in": focus_areas}})
        criteria = {"category": "partner_search", "status": {"$ne": "closed"}, "$or": about}
        cursor = self.collection.find(criteria, session=session).limit(500)
        return [_from_document(document) async for document in cursor]

    async def reported(self, country: str | None) -> list[Inquiry]:
        cursor = self.collection.find({} if country is None else {"country": country})
        return [_from_document(document) async for document in cursor]

    async def add_message(self, message: Document, session: AsyncClientSession) -> None:
        await self.messages.insert_one(message, session=session)

    async def list_messages(self, inquiry_ids: list[str], with_notes: bool) -> list[Document]:
        criteria: dict[str, Any] = {"inquiry_id": {"$in": inquiry_ids}}
        if not with_notes:
            criteria["kind"] = "reply"
        cursor = self.messages.find(criteria).sort([("at", ASCENDING), ("_id", ASCENDING)])
        return await cursor.to_list()

    async def record(self, entries: list[Document], session: AsyncClientSession) -> None:
        if entries:
            await self.history.insert_many(entries, session=session)

    async def list_history(self, inquiry_id: str) -> list[Document]:
        return await self.history.find({"inquiry_id": inquiry_id}).sort("_id", 1).to_list()


def _filters(query: InquiryQuery) -> dict[str, Any]:
    criteria: dict[str, Any] = {}
    for field in ("status", "queue", "category", "country", "priority", "officer"):
        if (value := getattr(query, field)) is not None:
            criteria[field] = value
    if query.sla is not None:
        criteria["sla_state"] = query.sla
    if query.q and (wanted := query_terms(query.q)):
        criteria["search_terms"] = {"$all": sorted(wanted)}
    return criteria


def _scope(visibility: Visibility) -> dict[str, Any]:
    criteria: dict[str, Any] = {}
    if visibility.country is not None:
        criteria["country"] = visibility.country
    if visibility.company_id is not None:
        criteria["requester.company_id"] = visibility.company_id
    if visibility.city_id is not None:
        criteria["requester.city_id"] = visibility.city_id
    return criteria


def _to_document(inquiry: Inquiry) -> Document:
    document = inquiry.model_dump()
    document["_id"] = document.pop("inquiry_id")
    document["sla_state"] = inquiry.sla_state
    document["next_due"] = inquiry.next_due
    document["search_terms"] = sorted(terms(f"{inquiry.subject} {inquiry.body}"))
    return document


def _from_document(document: Document) -> Inquiry:
    document = dict(document)
    document["inquiry_id"] = document.pop("_id")
    for derived in ("sla_state", "next_due", "search_terms"):
        document.pop(derived, None)
    return Inquiry.model_validate(document)
