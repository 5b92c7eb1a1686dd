"""The proposals service's collections: the only place that speaks MongoDB for it."""

from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.proposals.cities import CityExists, CityQuery
from services.proposals.model import HistoryEntry, Proposal, ProposalQuery, Visibility
from shared.contracts.identity import Actor
from shared.contracts.proposals import City
from shared.lasting import LastingFacts
from shared.mongo import Document, Inserts
from shared.text import query_terms, terms
from shared.versioning import replace_versioned


class CityRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["cities"]
        self.known: LastingFacts[str, City] = LastingFacts()

    async def create_indexes(self) -> None:
        await self.collection.create_index([("country", ASCENDING), ("_id", ASCENDING)])

    async def known_ids(self, session: AsyncClientSession | None = None) -> set[str]:
        return {
            document["_id"]
            async for document in self.collection.find({}, {"_id": 1}, session=session)
        }

    async def add(self, city: City, by: Actor, session: AsyncClientSession) -> None:
        """Stored with who added it (the city itself, a published contract, does not say)."""
        document = {**city.model_dump(), "_id": city.city_id, "added_by": by.model_dump()}
        del document["city_id"]
        try:
            await self.collection.insert_one(document, session=session)
        except DuplicateKeyError:
            raise CityExists(f"city {city.city_id} already exists", field="city_id") from None

    async def get(self, city_id: str) -> City | None:
        """A city is never changed or removed once added: each is read once per process."""
        return await self.known.get(city_id, lambda: self._read(city_id))

    async def _read(self, city_id: str) -> City | None:
        document = await self.collection.find_one({"_id": city_id})
        return None if document is None else _city(document)

    async def search(self, query: CityQuery, after: str | None) -> list[City]:
        """In id order; one page plus one row, so the caller knows whether more follow."""
        criteria: dict[str, Any] = {}
        if query.country:
            criteria["country"] = query.country
        if after is not None:
            criteria["_id"] = {"$gt": after}
        cursor = self.collection.find(criteria).sort("_id", ASCENDING).limit(query.limit + 1)
        return [_city(document) async for document in cursor]


class ProposalRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["proposals"]
        self.history = database["proposal_history"]

    async def create_indexes(self) -> None:
        for field in (
            "city_id",
            "country",
            "focus_areas",
            "tags",
            "stage",
            "financing",
            "status",
            "submitted_at",
            "search_terms",
        ):
            await self.collection.create_index([(field, ASCENDING), ("_id", DESCENDING)])
        await self.history.create_index(
            [("proposal_id", ASCENDING), ("version", ASCENDING)], unique=True
        )

    async def backfill_submitted_at(self) -> int:
        """Give proposals stored before ``submitted_at`` existed the time of their submit
        step from their history; visibility reads that field. Idempotent, run at start."""
        filled = 0
        legacy = {"submitted_at": {"$exists": False}, "status": {"$ne": "draft"}}
        async for document in self.collection.find(legacy, {"_id": 1}):
            entry = await self.history.find_one(
                {"proposal_id": document["_id"], "action": "submit"}, sort=[("version", 1)]
            )
            at = None if entry is None else entry["at"]
            await self.collection.update_one(
                {"_id": document["_id"], "submitted_at": {"$exists": False}},
                {"$set": {"submitted_at": at}},
            )
            filled += 1
        return filled

    async def add(self, proposal: Proposal, writes: Inserts) -> None:
        await writes.insert(self.collection, _to_document(proposal))

    async def get(
        self, proposal_id: str, session: AsyncClientSession | None = None
    ) -> Proposal | None:
        document = await self.collection.find_one({"_id": proposal_id}, session=session)
        return None if document is None else _from_document(document)

    async def save(
        self, proposal: Proposal, read_version: int, session: AsyncClientSession
    ) -> None:
        """Write the new state, or raise StaleVersion if someone wrote since ``read_version``."""
        await replace_versioned(
            self.collection, _to_document(proposal), read_version, session, "proposal"
        )

    async def record(self, proposal_id: str, entry: HistoryEntry, writes: Inserts) -> None:
        await writes.insert(self.history, {"proposal_id": proposal_id, **entry.model_dump()})

    async def history_of(self, proposal_id: str) -> list[HistoryEntry]:
        cursor = self.history.find({"proposal_id": proposal_id}).sort("version", ASCENDING)
        return [HistoryEntry.model_validate(document) async for document in cursor]

    async def search(
        self, query: ProposalQuery, visibility: Visibility, after: str | None
    ) -> list[Proposal]:
        """Newest first; one page plus one row, so the caller knows whether more follow."""
        criteria = _visible(visibility)
        for field, value in (
            ("city_id", query.city),
            ("country", query.country),
            ("focus_areas", query.focus_area),
            ("stage", query.stage),
            ("financing", query.financing),
        ):
            if value is not None:
                criteria.setdefault("$and", []).append({field: value})
        if query.status is not None:
            criteria.setdefault("$and", []).append({"status": query.status})
        if query.tag:
            criteria["tags"] = {"$all": query.tag}
        if query.q and (wanted := query_terms(query.q)):
            criteria["search_terms"] = {"$all": sorted(wanted)}
        if after is not None:
            criteria["_id"] = {"$lt": after}
        cursor = self.collection.find(criteria).sort("_id", DESCENDING).limit(query.limit + 1)
        return [_from_document(document) async for document in cursor]


def _visible(visibility: Visibility) -> dict[str, Any]:
    criteria: dict[str, Any] = {}
    if visibility.city_id is not None:
        criteria["city_id"] = visibility.city_id
    if visibility.country is not None:
        criteria["country"] = visibility.country
    if not visibility.drafts:
        criteria["submitted_at"] = {"$ne": None}
    return criteria


def _city(document: Document) -> City:
    return City.model_validate({**document, "city_id": document["_id"]})


def _to_document(proposal: Proposal) -> Document:
    document = proposal.model_dump(mode="python")
    document["_id"] = document.pop("proposal_id")
    # BSON has datetimes but no dates: store the timeline as ISO dates.
    document["timeline"] = proposal.timeline.model_dump(mode="json")
    document["search_terms"] = sorted(terms(f"{proposal.title} {proposal.description}"))
    return document


def _from_document(document: Document) -> Proposal:
    document = dict(document)
    document["proposal_id"] = document.pop("_id")
    document.pop("search_terms", None)
    return Proposal.model_validate(document)
