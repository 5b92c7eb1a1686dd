"""The reference read models: the only place that speaks MongoDB for them.

Each is written only by consumers of the proposals and companies streams, outside a
transaction (the runner applies idempotent handlers without one). A city's or proposal's
country never changes, so those writes are plain upserts. A company's names do change:
each write carries the profile version it comes from and never replaces a newer one, so a
redelivered or replayed event leaves the same document.

Names are kept with their search terms, and a search looks them up when it runs: an
inquiry is found by what its requester is called now, not when it asked. A Japanese name
is found by any two of its characters in a row (``name_terms``), not by one character of
it: each of 株式会社 names most companies, and the single characters were 15 of a
registration's 34 index keys here.
"""

from collections.abc import Sequence

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.inquiries.references.model import Kind, Reference, Referent
from shared.lasting import LastingFacts
from shared.mongo import Document, insert_or_update
from shared.text import stemmed_terms_of

Session = AsyncClientSession | None
CompanyNames = tuple[str, int, dict[str, str | None]]
"""A company's id, the profile version and its names by field (``name_en``, ``name_ja``)."""
NAMED_KINDS: tuple[Kind, ...] = ("company", "city")


class ReferenceRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collections: dict[Kind, AsyncCollection[Document]] = {
            "city": database["known_cities"],
            "company": database["known_companies"],
            "proposal": database["known_proposals"],
        }
        self.known: LastingFacts[tuple[Kind, str], Referent] = LastingFacts()

    async def create_indexes(self) -> None:
        """The index a search's name lookup uses, and terms for names kept before it."""
        for kind in NAMED_KINDS:
            collection = self.collections[kind]
            await collection.create_index([("terms", ASCENDING)])
            async for document in collection.find({"terms": None, "names": {"$ne": None}}):
                terms = name_terms(document["names"])
                await collection.update_one({"_id": document["_id"]}, {"$set": {"terms": terms}})

    async def put(self, referent: Referent, session: Session, names: Sequence[str] = ()) -> None:
        """A city or proposal (``names``: a city's), whose facts never change."""
        fields = {
            "country": referent.country,
            "names": list(names),
            "terms": name_terms(names),
        }
        await self.collections[referent.kind].update_one(
            {"_id": referent.id}, {"$set": fields}, upsert=True, session=session
        )

    async def name_company(
        self, company_id: str, version: int, named: dict[str, str | None], session: Session
    ) -> None:
        """The company's names as of ``version`` (``{"name_en": …, "name_ja": …}``, or only
        those that changed): kept unless a newer version is already here."""
        collection = self.collections["company"]
        known = await collection.find_one({"_id": company_id}, session=session)
        if known is not None and known.get("version", 0) >= version:
            return  # a redelivery, or a replay of an older event
        current = {**(known or {}).get("named", _legacy_named(known)), **named}
        if known is None:  # a writer that got here first makes it a duplicate key: retried
            await collection.insert_one(
                _named_company(company_id, version, current), session=session
            )
            return
        # Only over an older version. Said as a range on the version ("$lt", or the missing
        # version of a legacy entry): SecantusDB answered the same guard as a "$nor" of the
        # newer ones with a scan of every company (~10 ms per write at 2,000 of them).
        older = {"$lt": version} if "version" in known else None
        fields = _named_company(company_id, version, current)
        del fields["_id"]
        await collection.update_one(
            {"_id": company_id, "version": older}, {"$set": fields}, session=session
        )

    async def name_companies(self, registered: Sequence[CompanyNames], session: Session) -> None:
        """Registered companies' names (all of them, as of each registration's version),
        leaving what ``name_company`` of each in order does: nearly every one is new, so
        they are inserted at once (one write, no read first; ~1.2 ms of SecantusDB's CPU
        per registration as a read and an insert each), and only one already known (a
        redelivery, a replay, a repeat in the run) takes the versioned way."""
        documents = [_named_company(*names) for names in registered]
        inserted = await insert_or_update(self.collections["company"], documents, session)
        for index, (company_id, version, named) in enumerate(registered):
            if index not in inserted:
                await self.name_company(company_id, version, named, session)

    async def named_by(self, alternatives: set[str]) -> dict[Kind, list[str]]:
        """Companies and cities one of whose names has one of these terms."""
        found: dict[Kind, list[str]] = {}
        for kind in NAMED_KINDS:
            cursor = self.collections[kind].find(
                {"terms": {"$in": sorted(alternatives)}}, {"_id": 1}
            )
            found[kind] = [document["_id"] async for document in cursor]
        return found

    async def find(self, reference: Reference) -> Referent | None:
        """What the desk knows of the id: that it exists and its country, which never change
        or go, so each is read once per process (committed data only)."""
        return await self.known.get((reference.kind, reference.id), lambda: self._read(reference))

    async def _read(self, reference: Reference) -> Referent | None:
        document = await self.collections[reference.kind].find_one(
            {"_id": reference.id}, {"country": True}
        )
        if document is None:
            return None
        return Referent(reference.kind, reference.id, document.get("country"))


def _named_company(company_id: str, version: int, named: dict[str, str | None]) -> Document:
    """The stored entry of a company's names (by field) as of ``version``, with their terms."""
    names = [name for name in named.values() if name]
    return {"_id": company_id, "country": None, "named": named, "names": names,
            "terms": name_terms(names), "version": version}  # fmt: skip


def name_terms(names: Sequence[str]) -> list[str]:
    return stemmed_terms_of(names, single_characters=False)


def _legacy_named(known: Document | None) -> dict[str, str | None]:
    """Names kept before each was kept by field: a company's were (name_en, name_ja)."""
    names = list((known or {}).get("names", ()))
    return {"name_en": names[0] if names else None, "name_ja": names[1] if len(names) > 1 else None}
