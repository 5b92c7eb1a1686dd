"""The matching database: read models of companies, cities and proposals, and the matches.

Read models are written only by consumers of the companies and proposals topics, and only
forward: an event older than the stored version changes nothing.
"""

from collections import Counter
from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.matching.model import OPEN, Match, MatchQuery
from services.matching.readmodel import MATCHABLE
from shared.contracts.companies import CompanyProfile
from shared.contracts.proposals import City, ProposalDetails
from shared.mongo import Document

Session = AsyncClientSession | None
READ_MODELS = ("companies", "proposals", "cities")


class ReadModels:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.companies = database["companies"]
        self.proposals = database["proposals"]
        self.cities = database["cities"]

    async def create_indexes(self) -> None:
        await self.proposals.create_index([("status", ASCENDING)])

    async def put_company(self, company: CompanyProfile, session: Session) -> None:
        await _put_newer(self.companies, company.company_id, company.model_dump(), session)

    async def company(self, company_id: str, session: Session = None) -> CompanyProfile | None:
        document = await self.companies.find_one({"_id": company_id}, session=session)
        return None if document is None else CompanyProfile.model_validate(document)

    async def all_companies(self, session: Session = None) -> list[CompanyProfile]:
        cursor = self.companies.find({}, session=session).sort("_id", ASCENDING)
        return [CompanyProfile.model_validate(document) async for document in cursor]

    async def put_city(self, city: City, session: Session) -> None:
        await self.cities.replace_one(
            {"_id": city.city_id}, city.model_dump(), upsert=True, session=session
        )

    async def city(self, city_id: str, session: Session = None) -> City | None:
        document = await self.cities.find_one({"_id": city_id}, session=session)
        return None if document is None else City.model_validate(document)

    async def put_proposal(self, proposal: ProposalDetails, session: Session) -> None:
        document = proposal.model_dump(mode="json")
        document["created_at"] = proposal.created_at
        await _put_newer(self.proposals, proposal.proposal_id, document, session)

    async def proposal(self, proposal_id: str, session: Session = None) -> ProposalDetails | None:
        document = await self.proposals.find_one({"_id": proposal_id}, session=session)
        return None if document is None else ProposalDetails.model_validate(document)

    async def matchable_proposals(self, session: Session = None) -> list[ProposalDetails]:
        criteria = {"status": {"$in": sorted(MATCHABLE)}}
        cursor = self.proposals.find(criteria, session=session).sort("_id", ASCENDING)
        return [ProposalDetails.model_validate(document) async for document in cursor]

    async def clear(self) -> None:
        """For a rebuild: the topics are the source of truth for every read model."""
        for collection in (self.companies, self.proposals, self.cities):
            await collection.delete_many({})


async def _put_newer(
    collection: AsyncCollection[Document], key: str, document: Document, session: Session
) -> None:
    stored = await collection.find_one({"_id": key}, {"version": 1}, session=session)
    if stored is None or stored.get("version", 0) <= document["version"]:
        await collection.replace_one({"_id": key}, document, upsert=True, session=session)


class MatchRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["matches"]

    async def create_indexes(self) -> None:
        for field in ("proposal_id", "company_id", "city_id"):
            await self.collection.create_index([(field, ASCENDING), ("score", DESCENDING)])
        await self.collection.create_index([("status", ASCENDING), ("expires_at", ASCENDING)])

    async def get(self, match_id: str, session: Session = None) -> Match | None:
        document = await self.collection.find_one({"_id": match_id}, session=session)
        return None if document is None else _match(document)

    async def save(self, match: Match, session: Session) -> None:
        document = match.model_dump()
        document["_id"] = match.match_id
        await self.collection.replace_one(
            {"_id": match.match_id}, document, upsert=True, session=session
        )

    async def of_proposal(self, proposal_id: str, session: Session = None) -> list[Match]:
        return await self._find({"proposal_id": proposal_id}, session)

    async def of_company(self, company_id: str, session: Session = None) -> list[Match]:
        return await self._find({"company_id": company_id}, session)

    async def exposure(self, session: Session = None) -> Counter[str]:
        """How many open lists each company is in."""
        cursor = self.collection.find(
            {"status": {"$in": sorted(OPEN)}}, {"company_id": 1}, session=session
        )
        return Counter([document["company_id"] async for document in cursor])

    async def met_this_cycle(self, city_id: str, cycle: str, session: Session) -> set[str]:
        """Companies the city has a meeting with in this fiscal year."""
        criteria = {"city_id": city_id, "cycle": cycle, "status": "scheduled"}
        cursor = self.collection.find(criteria, {"company_id": 1}, session=session)
        return {document["company_id"] async for document in cursor}

    async def waiting_until(self, now: datetime) -> list[Match]:
        criteria = {
            "status": {"$in": ["accepted_by_company", "accepted_by_city"]},
            "expires_at": {"$lte": now},
        }
        return await self._find(criteria, None)

    async def search_status(self, status: str, session: Session) -> list[Match]:
        return await self._find({"status": status}, session)

    async def search(self, criteria: Document, query: MatchQuery) -> list[Match]:
        if query.status:
            criteria = {**criteria, "status": query.status}
        cursor = self.collection.find(criteria).sort([("score", DESCENDING), ("_id", ASCENDING)])
        return [_match(document) async for document in cursor]

    async def _find(self, criteria: Document, session: Session) -> list[Match]:
        cursor = self.collection.find(criteria, session=session).sort("score", DESCENDING)
        return [_match(document) async for document in cursor]


def _match(document: Document) -> Match:
    document = dict(document)
    document.pop("_id")
    return Match.model_validate(document)
