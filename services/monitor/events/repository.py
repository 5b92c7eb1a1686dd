"""The event index: every record the monitor has read, and its searches."""

from collections.abc import Collection
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from services.monitor.events.model import FILTER_FIELDS, EventQuery, IndexedEvent
from services.monitor.masking import without_secrets
from shared.mongo import Document, insert_or_update, new_id
from shared.text import query_terms

# Where a record sits in its partition: updated each time the record is read again (a
# broker that came back empty and had it re-published holds it at a new offset).
PLACE = ("partition", "offset", "timestamp")
TERMS_INDEX = "terms_seq"
# The look-up of a record's time by its place (topic, partition, offset), which the streams
# view no longer makes: it reads the broker instead.
RETIRED_INDEXES = {"topic_1_partition_1_offset_1_timestamp_-1"}
INDEX_NOT_FOUND = 27


class EventIndex:
    """Every record of every topic the monitor has read, keyed by event id (see
    ``record_id``), findable by subject, correlation, the ids its payload mentions and the
    words of its (masked) content."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["events"]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("seq", DESCENDING)])
        for field in ("subject", "correlation_id", "refs", "topic", "type"):
            await self.collection.create_index([(field, ASCENDING), ("seq", DESCENDING)])
        terms_then_seq = [("terms", ASCENDING), ("seq", DESCENDING)]
        await self.collection.create_index(terms_then_seq, name=TERMS_INDEX)
        await self.collection.create_index([("timestamp", ASCENDING)])
        await self._drop_retired_indexes()

    async def _drop_retired_indexes(self) -> None:
        """Indexes nothing reads any more, left in databases created before: each one still
        costs every indexed record a write."""
        present = await self.collection.index_information()
        for name in RETIRED_INDEXES & present.keys():
            try:
                await self.collection.drop_index(name)
            except OperationFailure as failure:
                if failure.code != INDEX_NOT_FOUND:
                    raise  # else another replica starting beside us dropped it first

    async def add_all(self, events: list[IndexedEvent]) -> list[IndexedEvent]:
        """Index records in one write, each once (a record read again only moves to its
        new place); returns those not indexed before.

        An insert of the batch, not an upsert per record (``insert_or_update``): nearly
        every record is new, and on SecantusDB that took the index from 2.3 to 1.5 ms of
        server CPU per event."""
        stored = [event.model_copy(update={"seq": new_id()}) for event in events]
        documents = [_document(event) for event in stored]
        new = await insert_or_update(self.collection, documents, None, _moved)
        return [event for index, event in enumerate(stored) if index in new]

    async def get(self, event_id: str) -> IndexedEvent | None:
        document = await self.collection.find_one({"_id": event_id})
        return None if document is None else _event(document)

    async def search(self, query: EventQuery, after: str | None) -> list[IndexedEvent]:
        """Newest first; one page plus one row, so the caller knows whether more follow."""
        return [_event(document) async for document in self.searching(query, after)]

    def searching(self, query: EventQuery, after: str | None) -> AsyncCursor[Document]:
        """The cursor of a search. Words are an ``$all`` of terms, which MongoDB answers
        from the terms index. No hint names it: SecantusDB answers ``$all`` with a scan
        either way, and walking the whole multikey index when told to is ~3x slower there
        (measured, bench/README.md)."""
        criteria = search_criteria(query, after)
        return self.collection.find(criteria).sort("seq", DESCENDING).limit(query.limit + 1)

    async def told_of(self, subject: str, event_types: Collection[str]) -> bool:
        """Whether an event of one of those types about ``subject`` was indexed. Looked up
        by subject alone, which its index answers (an aggregate has few events)."""
        cursor = self.collection.find({"subject": subject}, {"type": True, "_id": False})
        return any([document["type"] in event_types async for document in cursor])

    async def related(self, ident: str, limit: int = 1000) -> list[IndexedEvent]:
        """Events naming the id as subject, correlation or a payload reference."""
        criteria = {"$or": [{"subject": ident}, {"correlation_id": ident}, {"refs": ident}]}
        return await self._find(criteria, limit)

    async def correlated(self, correlation_ids: list[str], limit: int = 1000) -> list[IndexedEvent]:
        return await self._find({"correlation_id": {"$in": correlation_ids}}, limit)

    async def _find(self, criteria: Document, limit: int) -> list[IndexedEvent]:
        cursor = self.collection.find(criteria).sort("seq", ASCENDING).limit(limit)
        return [_event(document) async for document in cursor]

    async def counts_since(self, since: datetime) -> dict[tuple[str, int], int]:
        pipeline: list[Document] = [
            {"$match": {"timestamp": {"$gte": since}}},
            {"$group": {"_id": {"topic": "$topic", "partition": "$partition"}, "n": {"$sum": 1}}},
        ]
        cursor = await self.collection.aggregate(pipeline)
        return {(row["_id"]["topic"], row["_id"]["partition"]): row["n"] async for row in cursor}


def search_criteria(query: EventQuery, after: str | None) -> Document:
    """The filter of an event search. Free text is a lookup of its terms in the indexed
    ``terms`` array (as every service searches), never a scan of every stored event."""
    criteria: dict[str, Any] = {
        field: value for field in FILTER_FIELDS if (value := getattr(query, field)) is not None
    }
    if query.q and (wanted := query_terms(query.q)):
        criteria["terms"] = {"$all": sorted(wanted)}
    if after is not None:
        criteria["seq"] = {"$lt": after}
    return criteria


def _moved(document: Document) -> Document:
    """A record read again keeps its entry, its ``seq`` and terms; only its place moves."""
    return {"$set": {name: document[name] for name in PLACE}}


def _document(event: IndexedEvent) -> Document:
    return {
        "_id": event.id,
        **event.model_dump(exclude={"id"}),
        "terms": event.search_terms(),
    }


def _event(document: Document) -> IndexedEvent:
    # Records are stored without secrets; entries stored before that rule get it here.
    data = without_secrets(document.get("data"))
    return IndexedEvent.model_validate({**document, "id": document["_id"], "data": data})
