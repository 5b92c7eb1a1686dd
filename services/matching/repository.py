"""The matching database: read models of companies, cities and proposals, and the matches.

Read models are written only by consumers of the companies and proposals topics, and only
forward: an event older than the stored version changes nothing.

Every write that the in-memory index follows (a company, a proposal, a match) carries the
``seq`` of its transaction's tick of the index clock, so a replica catches up on what
others committed by reading ``seq`` greater than the last one it has seen.
"""

import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from pymongo import ASCENDING, DESCENDING, ReplaceOne, ReturnDocument, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.matching.disclosure import Parties
from services.matching.model import MUTUAL, OPEN, Match, MatchQuery
from services.matching.readmodel import MATCHABLE
from shared.contracts.companies import CompanyProfile
from shared.contracts.proposals import City, ProposalDetails
from shared.mongo import Document

Session = AsyncClientSession | None
BULK = 5000
"""Documents per batch of a whole-collection read: the default (101, then 16 MB) made a
round trip per hundred documents."""
BULK_READ = 500
"""Documents per batch of a read the index streams (each batch is held whole at once)."""
MatchWrite = ReplaceOne[Document] | UpdateOne
CompanyWrite = ReplaceOne[Document] | UpdateOne
READ_MODELS = ("companies", "proposals", "cities")
CLOCK_ID = "index"
STATE_FIELDS = {
    "proposal_id": 1,
    "company_id": 1,
    "status": 1,
    "rank": 1,
    "cycle": 1,
    "version": 1,
}


@dataclass(frozen=True)
class Tick:
    """One transaction's turn of the index clock, and what the clock said before it."""

    seq: int
    writer: str
    before_writer: str | None
    stats_epoch: int
    rebuilds: int

    @property
    def before(self) -> int:
        return self.seq - 1


class IndexClock:
    """A single document every index-changing transaction increments first.

    Two transactions that both tick conflict (MongoDB aborts one with a transient
    WriteConflict, and it is retried), so index changes are serialised across replicas
    and each one sees every change committed before it.
    """

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["index_clock"]

    async def create_indexes(self) -> None:
        await self.collection.update_one(
            {"_id": CLOCK_ID},
            {"$setOnInsert": {"seq": 0, "writer": None, "stats_epoch": 0, "rebuilds": 0}},
            upsert=True,
        )

    async def tick(self, session: AsyncClientSession) -> Tick:
        writer = uuid.uuid4().hex
        before = await self.collection.find_one_and_update(
            {"_id": CLOCK_ID},
            {"$inc": {"seq": 1}, "$set": {"writer": writer}},
            upsert=True,
            return_document=ReturnDocument.BEFORE,
            session=session,
        )
        before = before or {}
        return Tick(
            seq=before.get("seq", 0) + 1,
            writer=writer,
            before_writer=before.get("writer"),
            stats_epoch=before.get("stats_epoch", 0),
            rebuilds=before.get("rebuilds", 0),
        )

    async def new_stats_epoch(self, session: AsyncClientSession) -> None:
        await self.collection.update_one(
            {"_id": CLOCK_ID}, {"$inc": {"stats_epoch": 1}}, session=session
        )

    async def new_rebuild(self, session: AsyncClientSession) -> None:
        """Read models were rebuilt from the topics: every replica builds its index again."""
        await self.collection.update_one(
            {"_id": CLOCK_ID}, {"$inc": {"rebuilds": 1}}, session=session
        )

    async def now(self, session: Session = None) -> tuple[int, int, int]:
        """The clock's seq, statistics epoch and rebuild count."""
        found = await self.collection.find_one({"_id": CLOCK_ID}, session=session) or {}
        return found.get("seq", 0), found.get("stats_epoch", 0), found.get("rebuilds", 0)


@dataclass(frozen=True)
class Patch:
    """Fields of one match to set, without reading it first."""

    match_id: str
    fields: Document
    new_version: bool = False


Profile = TypeVar("Profile", CompanyProfile, ProposalDetails)


async def _changed(
    collection: AsyncCollection[Document],
    model: type[Profile],
    seq: int,
    ids: Collection[str],
    session: Session,
) -> tuple[list[Profile], set[str]]:
    documents = [document async for document in collection.find(_since(seq, ids), session=session)]
    found = [model.model_validate(document) for document in documents]
    return found, set(ids) - {document["_id"] for document in documents}


def _since(seq: int, ids: Collection[str]) -> Document:
    """Documents stamped after ``seq``, and the named ones whatever their stamp."""
    return {"$or": [{"seq": {"$gt": seq}}, {"_id": {"$in": sorted(ids)}}]}


class ReadModels:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.companies = database["companies"]
        self.proposals = database["proposals"]
        self.cities = database["cities"]

    async def create_indexes(self) -> None:
        await self.proposals.create_index([("status", ASCENDING)])
        for collection in (self.companies, self.proposals):
            await collection.create_index([("seq", ASCENDING)])

    async def put_company(self, company: CompanyProfile, session: Session, seq: int = 0) -> bool:
        """False when the stored profile is newer (a stale event)."""
        document = {**company.model_dump(), "seq": seq}
        return await _put_newer(self.companies, company.company_id, document, session)

    async def update_company(
        self, company_id: str, version: int, changes: Document, session: Session, seq: int
    ) -> CompanyProfile | None:
        """Apply a profile update to a stored profile older than it: the profile as it was
        before, or None when there is none older (a stale event).

        Looked up by ``_id`` alone: a filter on the version too made the embedded server
        scan the collection (40 ms at 1,000 companies)."""
        before = await self.companies.find_one({"_id": company_id}, session=session)
        if before is None or before.get("version", 0) >= version:
            return None
        fields = {k: v for k, v in changes.items() if k in CompanyProfile.model_fields}
        await self.companies.update_one(
            {"_id": company_id},
            {"$set": {**fields, "version": version, "seq": seq}},
            session=session,
        )
        return CompanyProfile.model_validate(before)

    @staticmethod
    def company_put(company: CompanyProfile, seq: int) -> CompanyWrite:
        """The whole profile, for a caller that checked it is not older than the stored one."""
        document = {**company.model_dump(), "seq": seq}
        return ReplaceOne({"_id": company.company_id}, document, upsert=True)

    @staticmethod
    def company_update(company_id: str, version: int, changes: Document, seq: int) -> CompanyWrite:
        """A profile update's fields, for a caller that checked the stored one is older."""
        fields = {k: v for k, v in changes.items() if k in CompanyProfile.model_fields}
        return UpdateOne({"_id": company_id}, {"$set": {**fields, "version": version, "seq": seq}})

    async def write_companies(self, writes: list[CompanyWrite], session: Session) -> None:
        """Several events' profile writes in one round trip, in their order."""
        if writes:
            await self.companies.bulk_write(writes, ordered=True, session=session)

    async def companies_since(
        self, seq: int, ids: Collection[str], session: Session
    ) -> tuple[list[CompanyProfile], set[str]]:
        """Profiles stamped after ``seq`` or named, and which named ones do not exist."""
        return await _changed(self.companies, CompanyProfile, seq, ids, session)

    async def company(self, company_id: str, session: Session = None) -> CompanyProfile | None:
        document = await self.companies.find_one({"_id": company_id}, session=session)
        return None if document is None else CompanyProfile.model_validate(document)

    async def every_company(self, session: Session = None) -> AsyncIterator[CompanyProfile]:
        """Every stored profile, a batch at a time: the index keeps a compact record of
        each, and 10,000 whole profiles at once were ~30 MB more at start."""
        cursor = self.companies.find({}, session=session, batch_size=BULK_READ)
        async for document in cursor.sort("_id", ASCENDING):
            yield CompanyProfile.model_validate(document)

    async def put_city(self, city: City, session: Session) -> None:
        await self.cities.replace_one(
            {"_id": city.city_id}, city.model_dump(), upsert=True, session=session
        )

    async def city(self, city_id: str, session: Session = None) -> City | None:
        document = await self.cities.find_one({"_id": city_id}, session=session)
        return None if document is None else City.model_validate(document)

    async def put_proposal(self, proposal: ProposalDetails, session: Session, seq: int = 0) -> bool:
        document = {**proposal.model_dump(mode="json"), "seq": seq}
        document["created_at"] = proposal.created_at
        return await _put_newer(self.proposals, proposal.proposal_id, document, session)

    async def proposals_since(
        self, seq: int, ids: Collection[str], session: Session
    ) -> tuple[list[ProposalDetails], set[str]]:
        return await _changed(self.proposals, ProposalDetails, seq, ids, session)

    async def proposal(self, proposal_id: str, session: Session = None) -> ProposalDetails | None:
        document = await self.proposals.find_one({"_id": proposal_id}, session=session)
        return None if document is None else ProposalDetails.model_validate(document)

    async def parties(self, company_ids: Collection[str], proposal_ids: Collection[str]) -> Parties:
        """The companies and proposals named, and the proposals' cities: three queries."""
        companies = await self._by_id(self.companies, company_ids)
        proposals = await self._by_id(self.proposals, proposal_ids)
        cities = await self._by_id(self.cities, {doc["city_id"] for doc in proposals.values()})
        return Parties(
            companies={key: CompanyProfile.model_validate(d) for key, d in companies.items()},
            proposals={key: ProposalDetails.model_validate(d) for key, d in proposals.items()},
            cities={key: City.model_validate(d) for key, d in cities.items()},
        )

    async def proposal_statuses(self, proposal_ids: Collection[str]) -> dict[str, str]:
        """Each known proposal's status, by id (one query, statuses only)."""
        if not proposal_ids:
            return {}
        criteria = {"_id": {"$in": sorted(proposal_ids)}}
        cursor = self.proposals.find(criteria, {"status": True})
        return {document["_id"]: document["status"] async for document in cursor}

    @staticmethod
    async def _by_id(collection: AsyncCollection[Document], ids: Collection[str]) -> Document:
        if not ids:
            return {}
        cursor = collection.find({"_id": {"$in": sorted(ids)}})
        return {document["_id"]: document async for document in cursor}

    async def matchable_proposals(self, session: Session = None) -> list[ProposalDetails]:
        criteria = {"status": {"$in": sorted(MATCHABLE)}}
        cursor = self.proposals.find(criteria, session=session, batch_size=BULK)
        return [ProposalDetails.model_validate(d) async for d in cursor.sort("_id", ASCENDING)]

    async def clear(self) -> None:
        """For a rebuild: the topics are the source of truth for every read model."""
        for collection in (self.companies, self.proposals, self.cities):
            await collection.delete_many({})


async def _put_newer(
    collection: AsyncCollection[Document], key: str, document: Document, session: Session
) -> bool:
    stored = await collection.find_one({"_id": key}, {"version": 1}, session=session)
    if stored is not None and stored.get("version", 0) > document["version"]:
        return False
    await collection.replace_one({"_id": key}, document, upsert=True, session=session)
    return True


@dataclass(frozen=True)
class StoredPairs:
    """Stored pairs of some companies, as read: each becomes a ``Match`` only when asked for."""

    documents: dict[str, dict[str, Document]]
    """Company -> proposal -> document."""

    def of(self, company_id: str, proposal_ids: Collection[str]) -> dict[str, Match]:
        pairs = self.documents.get(company_id, {})
        return {p: _match(pairs[p]) for p in proposal_ids if p in pairs}


class MatchRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["matches"]

    async def create_indexes(self) -> None:
        for field in ("proposal_id", "company_id", "city_id"):
            await self.collection.create_index([(field, ASCENDING), ("score", DESCENDING)])
        await self.collection.create_index([("status", ASCENDING), ("expires_at", ASCENDING)])
        await self.collection.create_index([("seq", ASCENDING)])
        pair = [("proposal_id", ASCENDING), ("company_id", ASCENDING)]
        await self.collection.create_index(pair, unique=True)

    async def get(self, match_id: str, session: Session = None) -> Match | None:
        document = await self.collection.find_one({"_id": match_id}, session=session)
        return None if document is None else _match(document)

    async def scored_by_other_weights(self, version: str) -> bool:
        """Whether an open match was scored by weights other than ``version``."""
        query = {"status": {"$in": sorted(OPEN)}, "weights_version": {"$ne": version}}
        return await self.collection.find_one(query, {"_id": 1}) is not None

    async def save(self, match: Match, session: Session, seq: int) -> None:
        await self.save_all([match], session, seq)

    async def save_all(
        self, matches: list[Match], session: Session, seq: int, patches: Sequence[Patch] = ()
    ) -> None:
        """One round trip for every match an event changed: whole ones, and patches of a
        few fields (a new rank, a withdrawal) of matches it did not need to read."""
        await self.write(self.writes(matches, seq, patches), session)

    @staticmethod
    def writes(matches: list[Match], seq: int, patches: Sequence[Patch] = ()) -> list[MatchWrite]:
        writes: list[MatchWrite] = [
            ReplaceOne({"_id": m.match_id}, {**m.model_dump(), "_id": m.match_id, "seq": seq}, True)
            for m in matches
        ]
        for patch in patches:
            update: Document = {"$set": {**patch.fields, "seq": seq}}
            if patch.new_version:
                update["$inc"] = {"version": 1}
            writes.append(UpdateOne({"_id": patch.match_id}, update))
        return writes

    async def write(self, writes: list[MatchWrite], session: Session) -> None:
        """Matches' writes (of one event or several) in one round trip, in their order."""
        if writes:
            await self.collection.bulk_write(writes, ordered=True, session=session)

    async def of_proposal(self, proposal_id: str, session: Session = None) -> list[Match]:
        return await self._find({"proposal_id": proposal_id}, session)

    async def of_proposals(
        self, proposal_ids: Collection[str], session: Session, company_id: str | None = None
    ) -> dict[str, dict[str, Match]]:
        """The pairs of the given proposals in one query (proposal -> company -> match): all
        of them, or only ``company_id``'s."""
        found: dict[str, dict[str, Match]] = {proposal_id: {} for proposal_id in proposal_ids}
        if proposal_ids:
            criteria: Document = {"proposal_id": {"$in": sorted(proposal_ids)}}
            if company_id is not None:
                criteria["company_id"] = company_id
            async for document in self.collection.find(criteria, session=session):
                match = _match(document)
                found[match.proposal_id][match.company_id] = match
        return found

    async def of_companies(self, company_ids: Collection[str], session: Session) -> StoredPairs:
        """Every pair of the given companies, in one query."""
        documents: dict[str, dict[str, Document]] = {}
        criteria = {"company_id": {"$in": sorted(company_ids)}}
        async for document in self.collection.find(criteria, session=session):
            documents.setdefault(document["company_id"], {})[document["proposal_id"]] = document
        return StoredPairs(documents)

    async def of_company(self, company_id: str, session: Session = None) -> list[Match]:
        return await self._find({"company_id": company_id}, session)

    async def all_states(self, session: Session = None) -> list[Document]:
        """Where every pair stands (status and cycle only): what the index starts from."""
        cursor = self.collection.find({}, STATE_FIELDS, session=session, batch_size=BULK)
        return [document async for document in cursor]

    async def states_since(
        self, seq: int, ids: Collection[str], session: Session
    ) -> tuple[list[Document], set[str]]:
        cursor = self.collection.find(_since(seq, ids), STATE_FIELDS, session=session)
        found = [document async for document in cursor]
        return found, set(ids) - {document["_id"] for document in found}

    async def waiting_until(self, now: datetime) -> list[Match]:
        criteria = {
            "status": {"$in": ["accepted_by_company", "accepted_by_city"]},
            "expires_at": {"$lte": now},
        }
        return await self._find(criteria, None)

    async def search_status(self, status: str, session: Session) -> list[Match]:
        return await self._find({"status": status}, session)

    async def search(self, criteria: Document, query: MatchQuery) -> list[Match]:
        """The list's entries (open or mutual) by rank; closed ones only when asked for by
        status, so they never share a rank with the list."""
        statuses = [query.status] if query.status else sorted(OPEN | MUTUAL)
        criteria = {**criteria, "status": {"$in": statuses}}
        order = [("rank", ASCENDING), ("score", DESCENDING), ("_id", ASCENDING)]
        cursor = self.collection.find(criteria).sort(order)
        return [_match(document) async for document in cursor]

    async def _find(self, criteria: Document, session: Session) -> list[Match]:
        cursor = self.collection.find(criteria, session=session).sort("score", DESCENDING)
        return [_match(document) async for document in cursor]


def _match(document: Document) -> Match:
    document = dict(document)
    document.pop("_id")
    document.pop("seq", None)
    return Match.model_validate(document)
