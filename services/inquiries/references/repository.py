"""The reference read models: the only place that speaks MongoDB for them.

Each is written only by consumers of the proposals and companies streams, one upsert per
event (outside a transaction: the runner applies idempotent handlers without one). Every
write is an upsert of facts that never change (a city's or a proposal's country, a
company's or city's names as registered), so a redelivered or replayed event leaves the
same document.
"""

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.inquiries.references.model import Kind, Reference, Referent
from shared.lasting import LastingFacts
from shared.mongo import Document

Session = AsyncClientSession | None


class ReferenceRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collections: dict[Kind, AsyncCollection[Document]] = {
            "city": database["known_cities"],
            "company": database["known_companies"],
            "proposal": database["known_proposals"],
        }
        self.known: LastingFacts[tuple[Kind, str], Referent] = LastingFacts()

    async def put(self, referent: Referent, session: Session) -> None:
        await self.collections[referent.kind].update_one(
            {"_id": referent.id},
            {"$set": {"country": referent.country, "names": list(referent.names)}},
            upsert=True,
            session=session,
        )

    async def find(self, reference: Reference) -> Referent | None:
        """What the desk knows of the id: a referent, once known, never changes or goes, so
        each is read once per process (committed data only). One learnt before names were
        kept is read each time: a replay of its event may still add them."""
        return await self.known.get(
            (reference.kind, reference.id), lambda: self._read(reference), _complete
        )

    async def _read(self, reference: Reference) -> Referent | None:
        document = await self.collections[reference.kind].find_one({"_id": reference.id})
        if document is None:
            return None
        names = tuple(document.get("names", ()))
        return Referent(reference.kind, reference.id, document.get("country"), names)


def _complete(referent: Referent) -> bool:
    return referent.kind == "proposal" or bool(referent.names)
