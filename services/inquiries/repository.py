"""The inquiries, their messages and audit history: the only MongoDB code for them."""

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from services.inquiries.commands import InquiryQuery, InquirySort
from services.inquiries.model import Inquiry, InvalidChange
from services.inquiries.references.model import Kind
from services.inquiries.scope import Visibility
from shared.contracts.inquiries import InquiryStatusChanged
from shared.mongo import Document, Inserts
from shared.text import stemmed_terms, stemmed_terms_of

Session = AsyncClientSession | None
SearchedWord = tuple[set[str], dict[Kind, list[str]]]
"""A query word: the terms that satisfy it (itself or its stem), and the companies and
cities whose names have one of them (their inquiries match that word too)."""


class InquiryRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["inquiries"]
        self.messages = database["messages"]
        self.history = database["history"]

    async def create_indexes(self) -> None:
        for field in ("country", "status", "queue", "category", "sla_state", "tags", "officer",
                      *_TERMS):  # fmt: skip
            await self.collection.create_index([(field, ASCENDING), ("_id", DESCENDING)])
        for key, direction in list(_ORDER.values())[1:]:
            await self.collection.create_index([(key, direction), ("_id", DESCENDING)])
        await self.collection.create_index("next_due", sparse=True)
        await self.collection.create_index([("proposal_id", ASCENDING)], sparse=True)
        for requester in ("requester.company_id", "requester.city_id"):  # searched by name
            await self.collection.create_index([(requester, ASCENDING)], sparse=True)
        with contextlib.suppress(OperationFailure):  # not there: new, or dropped already
            await self.collection.drop_index(f"{_RETIRED_TERMS}_1__id_-1")
        await self.messages.create_index([("inquiry_id", ASCENDING), ("at", ASCENDING)])
        await self.history.create_index([("inquiry_id", ASCENDING), ("_id", ASCENDING)])

    async def add(self, inquiry: Inquiry, writes: Inserts) -> None:
        """A new inquiry has no messages yet: nothing for ``index_old_messages`` to do."""
        await writes.insert(self.collection, {**_to_document(inquiry), _MESSAGES_INDEXED: True})

    async def get(self, inquiry_id: str, session: Session = None) -> Inquiry | None:
        document = await self.collection.find_one({"_id": inquiry_id}, session=session)
        return None if document is None else _from_document(document)

    async def save(self, inquiry: Inquiry, read_version: int, session: AsyncClientSession) -> bool:
        """Compare-and-set on the version: False when someone else wrote meanwhile. The
        inquiry's fields are set, not replaced: the terms of its messages stay beside them."""
        document = _to_document(inquiry)
        del document["_id"]
        result = await self.collection.update_one(
            {"_id": inquiry.inquiry_id, "version": read_version},
            {"$set": document},
            session=session,
        )
        return result.matched_count == 1

    async def search(
        self,
        query: InquiryQuery,
        visibility: Visibility,
        after: str | None,
        words: Sequence[SearchedWord] = (),
    ) -> list[Inquiry]:
        """``words``: the words of the query's ``q``, each with the requesters it names."""
        criteria: dict[str, Any] = {**_filters(query, visibility, words), **_scope(visibility)}
        key, direction = _ORDER[query.sort]
        order = [(key, direction)] if key != "_id" else []
        if after is not None:
            beyond = await self._beyond(after, key, direction, visibility)
            criteria = {"$and": [criteria, beyond]}
        cursor = (
            self.collection.find(criteria)
            .sort([*order, ("_id", DESCENDING)])
            .limit(query.limit + 1)
        )
        return [_from_document(document) async for document in cursor]

    async def _beyond(
        self, after: str, key: str, direction: int, visibility: Visibility
    ) -> dict[str, Any]:
        """The rows after ``after`` in this order: a sorted page resumes from the sort key
        of the cursor's row, so the cursor itself stays an opaque id. The row is looked up
        within the caller's scope: a cursor naming another desk's inquiry must not tell
        whether it exists, nor (by the page it yields) its priority or times."""
        before_id = {"_id": {"$lt": after}}
        if key == "_id":
            return before_id
        last = await self.collection.find_one({"_id": after, **_scope(visibility)}, {key: True})
        if last is None:
            raise InvalidChange("not a cursor this API returned", field="query.cursor")
        value = last.get(key)
        further = "$gt" if direction == ASCENDING else "$lt"
        return {"$or": [{key: {further: value}}, {key: value, **before_id}]}

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

    async def rename_officer(self, officer: str, name: str, session: Session = None) -> int:
        """Show the person's name as it now is on every inquiry assigned to them (closed
        ones too): ``officer_name`` is current state, and the history keeps the name each
        change was made under. Answers how many changed."""
        result = await self.collection.update_many(
            {"officer": officer, "officer_name": {"$ne": name}},
            {"$set": {"officer_name": name}},
            session=session,
        )
        return result.modified_count

    async def open_of(self, officer: str, session: AsyncClientSession) -> list[str]:
        """Ids of the open inquiries assigned to this person."""
        criteria = {"officer": officer, "status": {"$ne": "closed"}}
        cursor = self.collection.find(criteria, {"_id": True}, session=session)
        return [document["_id"] async for document in cursor]

    async def open_assignments(self) -> set[tuple[str, str]]:
        """Each officer of an open inquiry, with each country they hold one of."""
        criteria = {"officer": {"$ne": None}, "status": {"$ne": "closed"}}
        cursor = self.collection.find(criteria, {"_id": False, "officer": True, "country": True})
        return {(document["officer"], document["country"]) async for document in cursor}

    async def matching(
        self, proposal_id: str, country: str, focus_areas: list[str], session: AsyncClientSession
    ) -> list[str]:
        """Ids of the open partner-search inquiries about this proposal, or its country and
        areas (at most 500: a suggestion names its inquiry, nothing more of it is read)."""
        about: list[dict[str, Any]] = [{"proposal_id": proposal_id}]
        if focus_areas:
            about.append({"country": country, "focus_areas": {"$in": focus_areas}})
        criteria = {"category": "partner_search", "status": {"$ne": "closed"}, "$or": about}
        cursor = self.collection.find(criteria, {"_id": True}, session=session).limit(500)
        return [document["_id"] async for document in cursor]

    async def reported(
        self, country: str | None, since: datetime | None, until: datetime | None
    ) -> AsyncIterator[tuple[Inquiry, list[str]]]:
        """The inquiries submitted in [since, until), one at a time, each with its stored
        ``tags`` (a list field; none when the desk has not tagged it). Without their
        search terms, often most of a stored inquiry, which a report never reads."""
        criteria: dict[str, Any] = {} if country is None else {"country": country}
        submitted = {"$gte": since, "$lt": until}
        if window := {op: at for op, at in submitted.items() if at is not None}:
            criteria["submitted_at"] = window
        async for document in self.collection.find(criteria, _WITHOUT_TERMS):
            yield _from_document(document), document.get("tags") or []

    async def reopened_among(self, inquiry_ids: list[str], chunk: int = 1000) -> set[str]:
        """Those of the inquiries that were ever reopened: their history holds a move out of
        ``closed`` (whether by ``/reopen`` or by a requester's reply)."""
        reopened: set[str] = set()
        for start in range(0, len(inquiry_ids), chunk):
            criteria = {
                "inquiry_id": {"$in": inquiry_ids[start : start + chunk]},
                "type": InquiryStatusChanged.event_type,
                "data.from_status": "closed",
            }
            reopened |= set(await self.history.distinct("inquiry_id", criteria))
        return reopened

    async def add_message(self, message: Document, session: AsyncClientSession) -> None:
        """Store the message and make its inquiry findable by its words, in one transaction
        (a note's words only for those who may read notes: see ``_filters``). Two messages
        at once may conflict on the inquiry's terms: the request's transaction is retried,
        as for any transient transaction error."""
        await self.messages.insert_one(message, session=session)
        field = _MESSAGE_TERMS[message["kind"]]
        added = {field: {"$each": stemmed_terms_of([message["body"]])}}
        await self.collection.update_one(
            {"_id": message["inquiry_id"]}, {"$addToSet": added}, session=session
        )

    async def index_old_messages(self, batch: int = 200) -> int:
        """Once, for inquiries stored before messages were searchable: their own terms
        again (now with the requester organisation's and contact's names), and their
        messages' terms. Terms are added, never replaced, so a message appended
        meanwhile is not lost; a change of the inquiry meanwhile (its version) makes it
        read again. Answers how many."""
        done = 0
        while (
            documents := await self.collection.find({_MESSAGES_INDEXED: {"$ne": True}})
            .limit(batch)
            .to_list()
        ):
            ids = [document["_id"] for document in documents]
            found = await self.messages.find(
                {"inquiry_id": {"$in": ids}}, {"inquiry_id": True, "kind": True, "body": True}
            ).to_list()
            for document in documents:
                inquiry = _from_document(document)
                own = [m for m in found if m["inquiry_id"] == document["_id"]]
                terms = {field: set[str]() for field in _MESSAGE_TERMS.values()}
                for message in own:
                    terms[_MESSAGE_TERMS[message["kind"]]] |= stemmed_terms(message["body"])
                change = {
                    "$set": {
                        "search_terms": _own_terms(inquiry),
                        _MESSAGES_INDEXED: True,
                    },
                    "$addToSet": {field: {"$each": sorted(t)} for field, t in terms.items()},
                }
                criteria = {"_id": document["_id"], "version": document["version"]}
                done += (await self.collection.update_one(criteria, change)).modified_count
        return done

    async def get_message(self, message_id: str, session: AsyncClientSession) -> Document | None:
        return await self.messages.find_one({"_id": message_id}, session=session)

    async def list_messages(self, inquiry_ids: list[str], with_notes: bool) -> list[Document]:
        criteria: dict[str, Any] = {"inquiry_id": {"$in": inquiry_ids}}
        if not with_notes:
            criteria["kind"] = "reply"
        cursor = self.messages.find(criteria).sort([("at", ASCENDING), ("_id", ASCENDING)])
        return await cursor.to_list()

    async def record(self, entries: list[Document], writes: Inserts) -> None:
        if entries:
            await writes.insert(self.history, *entries)

    async def list_history(self, inquiry_id: str) -> list[Document]:
        return await self.history.find({"inquiry_id": inquiry_id}).sort("_id", 1).to_list()


# Sort keys stored beside the inquiry (see ``_to_document``), newest id breaking ties.
_ORDER: dict[InquirySort | None, tuple[str, int]] = {
    None: ("_id", DESCENDING),
    "deadline": ("deadline", ASCENDING),
    "priority": ("priority_rank", DESCENDING),
    "updated": ("updated_at", DESCENDING),
}
_STORED_AS = {
    **{field: field for field in ("status", "queue", "category", "country", "priority")},
    **{"officer": "officer", "sla": "sla_state", "tag": "tags"},
}
_PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
# Stored for an inquiry with no deadline ahead, so that it sorts after every real one.
_NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


# Where an inquiry's words are kept: its own text (recomputed at every save), the words of
# its replies and of its notes (added with each message; only desks and staff search
# notes). A requesting company's or city's names are not copied here: they change, so a
# search looks them up in the reference read models (``requesters``).
_PUBLIC_TERMS = ("search_terms", "reply_terms")
_TERMS = (*_PUBLIC_TERMS, "note_terms")
_RETIRED_TERMS = "requester_terms"
"""Kept by an earlier version (the requester's names at submission); no longer read."""
_MESSAGE_TERMS = {"reply": "reply_terms", "note": "note_terms"}
_MESSAGES_INDEXED = "messages_indexed"
_WITHOUT_TERMS = dict.fromkeys([*_TERMS, _RETIRED_TERMS], 0)


def _filters(
    query: InquiryQuery, visibility: Visibility, words: Sequence[SearchedWord]
) -> dict[str, Any]:
    criteria: dict[str, Any] = {}
    for field, stored in _STORED_AS.items():
        if values := getattr(query, field):
            criteria[stored] = {"$in": values}
    if words:
        searched = _TERMS if visibility.reads_notes else _PUBLIC_TERMS
        # Each query word matches itself or its English stem (see shared.text), in any of
        # the texts the caller may read, or names the requesting company or city.
        criteria["$and"] = [
            {"$or": [*({field: {"$in": sorted(either)}} for field in searched),
                     *_requester_named(ids)]}
            for either, ids in words
        ]  # fmt: skip
    if query.unassigned:
        criteria.setdefault("$and", []).append({"officer": None})
    if query.due_before is not None:
        criteria.setdefault("$and", []).append({"deadline": {"$lt": query.due_before}})
    return criteria


def _requester_named(ids: dict[Kind, list[str]]) -> list[dict[str, Any]]:
    return [
        {f"requester.{kind}_id": {"$in": found}} for kind, found in sorted(ids.items()) if found
    ]


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
    document["deadline"] = inquiry.deadline or _NO_DEADLINE
    document["priority_rank"] = _PRIORITY_RANK[inquiry.priority]
    document["search_terms"] = _own_terms(inquiry)
    return document


def _own_terms(inquiry: Inquiry) -> list[str]:
    """Subject, body, and who asked: the requester organisation's and contact's names."""
    requester = inquiry.requester
    names = [requester.organisation, requester.contact.name if requester.contact else None]
    return stemmed_terms_of([inquiry.subject, inquiry.body, *(name for name in names if name)])


def _from_document(document: Document) -> Inquiry:
    document = dict(document)
    document["inquiry_id"] = document.pop("_id")
    for derived in (
        "sla_state",
        "next_due",
        "deadline",
        "priority_rank",
        *_TERMS,
        _RETIRED_TERMS,
        _MESSAGES_INDEXED,
    ):
        document.pop(derived, None)
    return Inquiry.model_validate(document)
