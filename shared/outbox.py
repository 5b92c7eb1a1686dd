"""Transactional outbox: events are written with the state change, then relayed to Kafka.

A request only touches MongoDB, so Kafka being down never fails or loses it. The relay
publishes pending rows in insertion order (so one aggregate's events keep their order),
marks them sent, keeps sent rows for a retention window and can mark them pending again
(``replay_since``), which is how a memory-only broker's restart loses nothing.
"""

import asyncio
import os
import socket
import time
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


def outbox_row(topic: str, envelope: Envelope) -> Document:
    """The row the relay publishes: the record as Kafka will carry it, and its state."""
    return {
        "topic": topic,
        "key": envelope.subject,
        "value": Binary(envelope.to_bytes()),
        "headers": [[name, Binary(value)] for name, value in envelope.kafka_headers()],
        "event_id": envelope.id,
        "event_type": envelope.type,
        "created_at": envelope.time,
        "sent_at": None,
        "replays": 0,
    }


class Outbox:
    """Appends events to the outbox inside the caller's transaction."""

    def __init__(self, collection: OutboxCollection) -> None:
        self.collection = collection
        self.wakeup = asyncio.Event()

    async def add_all(
        self, session: AsyncClientSession, events: list[tuple[str, Envelope]]
    ) -> None:
        """Append several events in one round trip (their order is kept)."""
        if events:
            rows = [outbox_row(topic, envelope) for topic, envelope in events]
            await self.collection.insert_many(rows, session=session)

    def nudge(self) -> None:
        """Wake the relay now instead of at its next poll (call after the commit)."""
        self.wakeup.set()


async def create_outbox_indexes(collection: OutboxCollection) -> None:
    # The relay's reads and the purge use this one. Replays (rare, by an operator or at
    # a start of ``jamp dev``) scan instead: an index on created_at would be one more
    # write per event on every request.
    await collection.create_index([("sent_at", ASCENDING), ("_id", ASCENDING)])


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
    """A MongoDB lease so that one relay per service publishes at a time (ordering).

    Short (seconds), so a replacement takes over soon after a holder dies without letting
    go; renewed only when a third of it has passed, and only by a relay that has work, so
    an idle desk writes nothing (every write costs the database, and some engines keep a
    record of each retryable one for half an hour).
    """

    def __init__(self, collection: OutboxCollection, name: str, ttl: timedelta) -> None:
        self.collection, self.name, self.ttl = collection, name, ttl
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._held_until = 0.0  # monotonic; conservative: measured from before the write

    @property
    def fresh(self) -> bool:
        """True while at least two thirds of the lease this relay holds remain."""
        return self._held_until - time.monotonic() > self.ttl.total_seconds() * 2 / 3

    async def hold(self) -> bool:
        """Holds the lease, writing only when it is not held yet or is due for renewal."""
        return self.fresh or await self.acquire()

    async def acquire(self) -> bool:
        """Take or renew the lease (one write); False while another holder's is unexpired."""
        started, now = time.monotonic(), datetime.now(UTC)
        try:
            lease = await self.collection.find_one_and_update(
                {"_id": self.name, "$or": [{"holder": self.holder}, {"expires_at": {"$lt": now}}]},
                {"$set": {"holder": self.holder, "expires_at": now + self.ttl}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:  # someone else holds an unexpired lease
            lease = None
        held = lease is not None and lease["holder"] == self.holder
        self._held_until = started + self.ttl.total_seconds() if held else 0.0
        return held

    async def release(self) -> None:
        self._held_until = 0.0
        await self.collection.delete_one({"_id": self.name, "holder": self.holder})
