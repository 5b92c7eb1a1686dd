"""Admin-edited desk configuration in MongoDB: routing rules, queues, desk calendars, and
the audit trail of their changes; and the collections of documents kept by id (answer
templates, saved views)."""

from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from pymongo import DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.inquiries.administration.queues import DEFAULT_QUEUES, Queues
from services.inquiries.administration.routing import DEFAULT_RULES, RoutingRules
from services.inquiries.sla.business_hours import BusinessCalendar
from shared.mongo import Document

Session = AsyncClientSession | None
RULES_ID = "routing"
QUEUES_ID = "queues"


class DeskConfiguration:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.rules = database["routing_rules"]
        self.calendars = database["calendars"]
        self.changes = database["configuration_history"]

    async def create_indexes(self) -> None:
        await self.changes.create_index([("setting", 1), ("_id", DESCENDING)])

    async def routing(self, session: Session = None) -> RoutingRules:
        """The stored rules; the defaults until an admin first saves some."""
        document = await _stored(self.rules, RULES_ID, session)
        return DEFAULT_RULES if document is None else RoutingRules.model_validate(document)

    async def save_routing(self, rules: RoutingRules, session: AsyncClientSession) -> bool:
        """Replace the rules if still at ``rules.version - 1`` (0: never saved)."""
        document = rules.model_dump(mode="json")
        return await replace_versioned(self.rules, RULES_ID, document, rules.version, session)

    async def queues(self, session: Session = None) -> Queues:
        """The managed queue list; the defaults until an admin first saves one."""
        document = await _stored(self.rules, QUEUES_ID, session)
        return DEFAULT_QUEUES if document is None else Queues.model_validate(document)

    async def save_queues(self, queues: Queues, session: AsyncClientSession) -> bool:
        document = queues.model_dump(mode="json")
        return await replace_versioned(self.rules, QUEUES_ID, document, queues.version, session)

    async def calendar(self, country: str, session: Session = None) -> BusinessCalendar:
        document = await _stored(self.calendars, country, session)
        if document is None:
            return BusinessCalendar.default_for(country)
        return BusinessCalendar.model_validate(document)

    async def save_calendar(
        self, country: str, calendar: BusinessCalendar, session: AsyncClientSession
    ) -> None:
        document = calendar.model_dump(mode="json")
        await self.calendars.replace_one({"_id": country}, document, upsert=True, session=session)

    async def record_change(self, entry: Document, session: AsyncClientSession) -> None:
        await self.changes.insert_one(entry, session=session)

    async def history(self, setting: str | None, limit: int) -> list[Document]:
        criteria = {} if setting is None else {"setting": setting}
        cursor = self.changes.find(criteria).sort("_id", DESCENDING).limit(limit)
        return await cursor.to_list()


async def _stored(collection: AsyncCollection[Document], key: str, session: Session) -> Any:
    document = await collection.find_one({"_id": key}, session=session)
    if document is not None:
        document.pop("_id")
    return document


async def replace_versioned(
    collection: AsyncCollection[Document],
    key: str,
    document: Document,
    version: int,
    session: AsyncClientSession,
) -> bool:
    """Write ``document`` at ``version`` if the stored one is still at ``version - 1``."""
    document = {"_id": key, **document}
    if version == 1:
        inserted = await collection.update_one(
            {"_id": key}, {"$setOnInsert": document}, upsert=True, session=session
        )
        return inserted.upserted_id is not None
    result = await collection.replace_one(
        {"_id": key, "version": version - 1}, document, session=session
    )
    return result.matched_count == 1


class KeptDocument(BaseModel):
    """A document kept by its id; every replacement writes the next ``version``."""

    version: int = 0


K = TypeVar("K", bound=KeptDocument)


class KeptDocuments(Generic[K]):
    """One collection of kept documents: read one, write one at its version, delete one."""

    def __init__(
        self, collection: AsyncCollection[Document], model: type[K], id_field: str
    ) -> None:
        self.collection, self.model, self.id_field = collection, model, id_field

    def key_of(self, item: K) -> str:
        return str(getattr(item, self.id_field))

    def of(self, document: Document) -> K:
        fields = {key: value for key, value in document.items() if key != "_id"}
        return self.model.model_validate({**fields, self.id_field: document["_id"]})

    async def get(self, key: str, session: Session = None) -> K | None:
        document = await self.collection.find_one({"_id": key}, session=session)
        return None if document is None else self.of(document)

    async def put(self, item: K, session: AsyncClientSession) -> bool:
        """Store ``item`` if the stored one is still at the version before (none: 1)."""
        document = item.model_dump(exclude={self.id_field})
        return await replace_versioned(
            self.collection, self.key_of(item), document, item.version, session
        )

    async def delete(self, key: str, session: AsyncClientSession) -> None:
        await self.collection.delete_one({"_id": key}, session=session)
