"""The notifications service's MongoDB collections: the only module that touches them.

``directory``: who can be mailed, projected from the streams (company and proposal
contacts, inquiries' requesters, queues and officers, the queues' people and escalation
targets, people, cities' time zones). ``mail``: the
sent-mail ledger, one row per (event, template, recipient), its ``_id`` that key's digest so
a second claim of the same mail is a no-op. ``preferences`` per address, ``inbound`` mail.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.notifications.model import (
    InboundRecord,
    Mail,
    MailNotFound,
    MailStatus,
    MailSummary,
    Preferences,
)
from shared.mongo import Document, insert_or_update, new_id

Session = AsyncClientSession | None


class Directory:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["directory"]

    async def put(self, key: str, fields: dict[str, Any], session: Session) -> None:
        await self.put_all([(key, fields)], session)

    async def put_all(
        self, entries: Sequence[tuple[str, dict[str, Any]]], session: Session
    ) -> None:
        """``put`` of each, in order (outside a transaction, one insert for the new ones)."""
        documents = [{"_id": key, **fields} for key, fields in entries]
        await insert_or_update(self.collection, documents, session, _fields_set)

    async def get(self, key: str, session: Session = None) -> Document | None:
        return await self.collection.find_one({"_id": key}, session=session)

    async def put_newer(
        self, key: str, fields: dict[str, Any], version: int, session: Session
    ) -> bool:
        """Replace the entry unless it holds this version or a later one already (a
        redelivered or overtaken event changes nothing); True if replaced."""
        known = await self.get(key, session)
        if known is not None and int(known.get("version", -1)) >= version:
            return False
        document = {**fields, "version": version}
        await self.collection.replace_one({"_id": key}, document, upsert=True, session=session)
        return True


class Ledger:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["mail"]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
        await self.collection.create_index([("recipient", ASCENDING), ("sent_at", ASCENDING)])
        await self.collection.create_index([("group", ASCENDING), ("status", ASCENDING)])
        await self.collection.create_index([("order", DESCENDING)])

    async def claim(self, mail: Mail, session: AsyncClientSession) -> bool:
        """Record the mail unless this (event, template, recipient) already is; True if new."""
        document = {**mail.model_dump(exclude={"mail_id"}), "order": new_id()}
        result = await self.collection.update_one(
            {"_id": mail.mail_id}, {"$setOnInsert": document}, upsert=True, session=session
        )
        return result.upserted_id is not None

    async def supersede(self, group: str, session: AsyncClientSession) -> None:
        """Pending mail of the group is moot (a moved meeting's reminder, an answered request)."""
        await self.collection.update_many(
            {"group": group, "status": "pending"},
            {"$set": {"status": "superseded"}},
            session=session,
        )

    async def due(self, now: datetime, limit: int) -> list[Mail]:
        """Pending mail whose time has come, and claims whose holder vanished."""
        criteria = {
            "$or": [
                {"status": "pending", "due_at": {"$lte": now}},
                {"status": "sending", "claimed_until": {"$lt": now}},
            ]
        }
        found = self.collection.find(criteria).sort("due_at", ASCENDING).limit(limit)
        return [_mail(document) async for document in found]

    async def take(self, mail: Mail, now: datetime, hold: timedelta) -> Mail | None:
        """Claim one due mail for this dispatcher (compare-and-set on status and attempts)."""
        taken_over = mail.status == "sending"
        result = await self.collection.update_one(
            {"_id": mail.mail_id, "status": mail.status, "attempts": mail.attempts},
            {
                "$set": {
                    "status": "sending",
                    "claimed_until": now + hold,
                    "possible_duplicate": mail.possible_duplicate or taken_over,
                },
                "$inc": {"attempts": 1},
            },
        )
        if result.modified_count != 1:
            return None
        return mail.model_copy(
            update={
                "status": "sending",
                "attempts": mail.attempts + 1,
                "possible_duplicate": mail.possible_duplicate or taken_over,
            }
        )

    async def sent_since(self, address: str, since: datetime) -> list[datetime]:
        found = self.collection.find(
            {"recipient": address, "status": "sent", "sent_at": {"$gte": since}},
            {"sent_at": 1},
        )
        return sorted([document["sent_at"] async for document in found])

    async def postpone(
        self, mail: Mail, until: datetime, error: str | None, code: int | None
    ) -> None:
        await self.collection.update_one(
            {"_id": mail.mail_id},
            {"$set": {"status": "pending", "due_at": until, "last_error": error, "code": code}},
        )

    async def finish(
        self,
        mail: Mail,
        status: MailStatus,
        now: datetime,
        session: AsyncClientSession,
        error: str | None = None,
        code: int | None = None,
    ) -> None:
        moment = "sent_at" if status == "sent" else "failed_at"
        await self.collection.update_one(
            {"_id": mail.mail_id},
            {"$set": {"status": status, moment: now, "last_error": error, "code": code}},
            session=session,
        )

    async def get(self, mail_id: str) -> Mail:
        document = await self.collection.find_one({"_id": mail_id})
        if document is None:
            raise MailNotFound(f"no mail {mail_id}")
        return _mail(document)

    async def page(
        self, after: str | None, limit: int, status: str | None, recipient: str | None
    ) -> list[tuple[str, MailSummary]]:
        criteria: Document = {}
        if after is not None:
            criteria["order"] = {"$lt": after}
        if status is not None:
            criteria["status"] = status
        if recipient is not None:
            criteria["recipient"] = recipient.lower()
        found = self.collection.find(criteria).sort("order", DESCENDING).limit(limit + 1)
        return [
            (
                document["order"],
                MailSummary.model_validate({**document, "mail_id": document["_id"]}),
            )
            async for document in found
        ]


class PreferenceStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["preferences"]

    async def get(self, address: str, session: Session = None) -> Preferences:
        document = await self.collection.find_one({"_id": address.lower()}, session=session)
        if document is None:
            return Preferences()
        return Preferences.model_validate(document["preferences"])

    async def put(self, address: str, preferences: Preferences, by: str, at: datetime) -> None:
        await self.collection.update_one(
            {"_id": address.lower()},
            {"$set": {"preferences": preferences.model_dump(), "changed_by": by, "changed_at": at}},
            upsert=True,
        )

    async def carry(
        self, old: str, new: str, by: str, at: datetime, session: AsyncClientSession
    ) -> None:
        """The old address's preferences for the new one, unless it has its own."""
        kept = await self.collection.find_one({"_id": old.lower()}, session=session)
        if kept is None:
            return
        await self.collection.update_one(
            {"_id": new.lower()},
            {"$setOnInsert": {"preferences": kept["preferences"], "changed_by": by,
                              "changed_at": at}},
            upsert=True, session=session,
        )  # fmt: skip


class InboundLog:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["inbound"]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("order", DESCENDING)])

    async def add(self, record: InboundRecord, session: AsyncClientSession) -> bool:
        """Record the mail unless one with its id is recorded already; True if new."""
        document = {**record.model_dump(exclude={"inbound_id"}), "order": new_id()}
        result = await self.collection.update_one(
            {"_id": record.inbound_id}, {"$setOnInsert": document}, upsert=True, session=session
        )
        return result.upserted_id is not None

    async def page(self, after: str | None, limit: int) -> list[tuple[str, InboundRecord]]:
        criteria: Document = {} if after is None else {"order": {"$lt": after}}
        found = self.collection.find(criteria).sort("order", DESCENDING).limit(limit + 1)
        return [
            (
                document["order"],
                InboundRecord.model_validate({**document, "inbound_id": document["_id"]}),
            )
            async for document in found
        ]


def _mail(document: Document) -> Mail:
    return Mail.model_validate({**document, "mail_id": document["_id"]})


def _fields_set(document: Document) -> Document:
    return {"$set": {key: value for key, value in document.items() if key != "_id"}}
