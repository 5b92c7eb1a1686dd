"""Transactional outbox: events are written with the state change, then relayed to Kafka.

A request only touches MongoDB, so Kafka being down never fails or loses it. The relay
publishes pending rows in insertion order (so one aggregate's events keep their order),
marks them sent, keeps sent rows for a retention window and can mark them pending again
(``replay_since``), which is how a memory-only broker's restart loses nothing.
"""

import asyncio
import os
import socket
from datetime import UTC, datetime, timedelta

from bson import Binary
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.envelope import Envelope
from shared.logs import get_logger
from shared.mongo import Document

log = get_logger(__name__)
OutboxCollection = AsyncCollection[Document]


class Outbox:
    """Appends events to the outbox inside the caller's transaction."""

    def __init__(self, collection: OutboxCollection) -> None:
        self.collection = collection
        self.wakeup = asyncio.Event()

    async def add(self, session: AsyncClientSession, topic: str, envelope: Envelope) -> None:
        await self.collection.insert_one(
            {
                "topic": topic,
                "key": envelope.subject,
                "value": Binary(envelope.to_bytes()),
                "headers": [[name, Binary(value)] for name, value in envelope.kafka_headers()],
                "event_id": envelope.id,
                "event_type": envelope.type,
                "created_at": envelope.time,
                "sent_at": None,
                "replays": 0,
            },
            session=session,
        )

    def nudge(self) -> None:
        """Wake the relay now instead of at its next poll (call after the commit)."""
        self.wakeup.set()


async def create_outbox_indexes(collection: OutboxCollection) -> None:
    await collection.create_index([("sent_at", ASCENDING), ("_id", ASCENDING)])
    await collection.create_index([("created_at", ASCENDING)])


async def replay_since(
    collection: OutboxCollection, since: datetime, until: datetime | None = None
) -> int:
    """Mark sent rows created in [since, until) pending again; the relay re-publishes them."""
    window: Document = {"$gte": since}
    if until is not None:
        window["$lt"] = until
    result = await collection.update_many(
        {"created_at": window, "sent_at": {"$ne": None}},
        {"$set": {"sent_at": None}, "$inc": {"replays": 1}},
    )
    return result.modified_count


class Lease:
    """A MongoDB lease so that one relay per service publishes at a time (ordering)."""

    def __init__(self, collection: OutboxCollection, name: str, ttl: timedelta) -> None:
        self.collection, self.name, self.ttl = collection, name, ttl
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    async def acquire(self) -> bool:
        now = datetime.now(UTC)
        try:
            lease = await self.collection.find_one_and_update(
                {"_id": self.name, "$or": [{"holder": self.holder}, {"expires_at": {"$lt": now}}]},
                {"$set": {"holder": self.holder, "expires_at": now + self.ttl}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:  # someone else holds an unexpired lease
            return False
        return lease is not None and lease["holder"] == self.holder

    async def release(self) -> None:
        await self.collection.delete_one({"_id": self.name, "holder": self.holder})
