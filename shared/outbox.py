"""Transactional outbox: events are written with the state change, then relayed to Kafka.

A request only touches MongoDB, so Kafka being down never fails or loses it. Each
transaction that appends events takes a block of sequence numbers from a counter document
(one atomic ``$inc``, outside the transaction, just before its rows are inserted) and its
rows carry them as ``_id`` and ``seq``. The relay then knows what it sent from one small
document (``shared.outbox_cursor``) instead of writing every row it publishes.

Why the numbers are taken where they are:

- Outside the transaction: inside it, every request would write the same counter document,
  and transactions writing one document conflict, so intake would run one at a time.
- As late as possible, after the transaction's other writes: two transactions that change
  the same aggregate conflict on its document, so the second retries until the first has
  committed and only then takes its numbers. One aggregate's events are therefore numbered
  in commit order, which is the order the relay publishes. A retry takes new numbers; the
  old ones stay a gap the relay passes.
- A number whose row never commits (aborted, or delayed past the relay's horizon) is
  closed by the relay with a tombstone row under the same ``_id``: a transaction that
  commits later fails on it (duplicate key or write conflict) and is retried with new
  numbers, so no row can land in a range the relay has given up on.

A row keeps as separate fields only what queries name (``_id``, ``seq``, ``topic``, ``key``,
``event_id``, ``event_type``, ``created_at``, ``tombstone``); the Kafka headers travel
packed in one binary field, because every field is decoded and encoded again by the
database on each read and the nine headers as nested pairs were three quarters of a row's
fields. Rows written before that (headers as a list of pairs) are read as they are.

A transaction that appends several events writes them as one row (``packed_row``, up to
``PACKED_MOST`` a row): their records in their order in one binary field, their count
(``events``), the row named by its first event (``event_id``, ``created_at``). The
database's work per read is mostly per document (finding, decoding, re-checking and
encoding each), so a registration's two events cost it one document instead of two. The
relay unpacks the records and settles the row only when all of them are acknowledged
(``shared.relay``). A lone event keeps the row above; ``row_records`` reads every shape,
so rows of older versions are relayed and replayed.

Sent rows stay for a retention window; ``replay_since`` moves the relay's cursor back so
it re-publishes them, which is how a memory-only broker's restart loses nothing.
"""

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import bson
from bson import Binary
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, PyMongoError

from shared.clock import utc_now
from shared.envelope import Envelope, Headers
from shared.logs import get_logger
from shared.mongo import TRANSIENT, Document, NewDocument, insert_together
from shared.outbox_cursor import Cursor, Gap

log = get_logger(__name__)
OutboxCollection = AsyncCollection[Document]
LEASE = "outbox-relay"
"""The lease document of an outbox's relay, which also holds its cursor."""
PACKED_MOST = 100
"""At most this many events share a row (a matching batch may publish hundreds in one
transaction; a row stays far below the 16 MB a document may hold)."""
LOWEST = -(2**62)
"""Below every sequence: range reads are bounded on both sides (engines without limit
push-down read every match of an open range)."""


@dataclass(frozen=True, slots=True)
class Record:
    """One Kafka record of an outbox row, as the producer takes it."""

    topic: str
    key: str
    value: bytes
    headers: Headers


def outbox_rows(events: list[tuple[str, Envelope]]) -> list[Document]:
    """The rows of one transaction's events (topic, envelope), in their order: a lone event
    as ``outbox_row``, several packed together (see the module's docstring)."""
    chunks = [events[start : start + PACKED_MOST] for start in range(0, len(events), PACKED_MOST)]
    return [outbox_row(*chunk[0]) if len(chunk) == 1 else packed_row(chunk) for chunk in chunks]


def packed_row(events: list[tuple[str, Envelope]]) -> Document:
    """Several events in one row: topics, keys, values and headers as parallel arrays in one
    opaque field (the database never looks inside), named by the first event."""
    first = events[0][1]
    records = {
        "t": [topic for topic, _ in events],
        "k": [envelope.subject for _, envelope in events],
        "v": [Binary(envelope.to_bytes()) for _, envelope in events],
        "h": [_split_headers(envelope.kafka_headers()) for _, envelope in events],
    }
    return {
        "records": Binary(bson.encode(records)),
        "events": len(events),  # counted without unpacking (a replay's answer)
        "event_id": first.id,
        "created_at": first.time,
    }


def row_records(row: Document) -> list[Record]:
    """The Kafka records of a row of any shape: packed, or one event (headers packed or,
    written by an older version, a list of pairs)."""
    if "records" not in row:
        return [Record(row["topic"], row["key"], bytes(row["value"]), row_headers(row))]
    packed = bson.decode(row["records"])
    parts = zip(packed["t"], packed["k"], packed["v"], packed["h"], strict=True)
    return [Record(topic, key, value, _joined_headers(headers))
            for topic, key, value, headers in parts]  # fmt: skip


def _split_headers(headers: Headers) -> Document:
    # Names and values as two arrays decode faster than an array of pairs (2.0 against
    # 2.9 µs a row); order and repeated names are kept.
    return {"n": [name for name, _ in headers], "v": [value for _, value in headers]}


def _joined_headers(packed: Document) -> Headers:
    return list(zip(packed["n"], packed["v"], strict=True))


def outbox_row(topic: str, envelope: Envelope) -> Document:
    """The record as Kafka will carry it; ``Outbox.append`` numbers it."""
    return {
        "topic": topic,
        "key": envelope.subject,
        "value": Binary(envelope.to_bytes()),
        "headers": pack_headers(envelope.kafka_headers()),
        "event_id": envelope.id,
        "event_type": envelope.type,
        "created_at": envelope.time,
    }


def pack_headers(headers: Headers) -> Binary:
    """The headers as one opaque field (order and repeated names kept)."""
    return Binary(bson.encode(_split_headers(headers)))


def row_headers(row: Document) -> Headers:
    """A one-event row's Kafka headers, packed or (written by an older version) a list of
    pairs."""
    stored = row["headers"]
    if isinstance(stored, list):
        return [(name, bytes(value)) for name, value in stored]
    return _joined_headers(bson.decode(stored))


class Outbox:
    """Appends events to the outbox inside the caller's transaction."""

    def __init__(self, collection: OutboxCollection) -> None:
        self.collection = collection
        self.sequences = collection.database["sequences"]
        self.leases = collection.database["leases"]
        self.wakeup = asyncio.Event()

    async def add_all(
        self,
        session: AsyncClientSession,
        events: list[tuple[str, Envelope]],
        beside: Sequence[NewDocument] = (),
    ) -> int | None:
        """Append several events, packed into as few rows as ``outbox_rows`` makes (their
        order is kept), in one round trip with the transaction's new documents ``beside``;
        returns the first row's sequence. Call it after the transaction's other writes
        (see above): inserts of new documents may come with it, since no other
        transaction can have written them."""
        if not events:
            await insert_together(self.collection.database.client, beside, session)
            return None
        return await self.append(outbox_rows(events), session, beside)

    async def append(
        self,
        rows: list[Document],
        session: AsyncClientSession | None = None,
        beside: Sequence[NewDocument] = (),
    ) -> int:
        """Number the rows with a fresh block and insert them (after ``beside``, in one
        command where the server can); returns the first number."""
        first = await self.allocate(len(rows))
        numbered = [{"_id": first + i, "seq": first + i, **row} for i, row in enumerate(rows)]
        rows_of_outbox = [NewDocument(self.collection, row, _numbers_closed) for row in numbered]
        await insert_together(self.collection.database.client, [*beside, *rows_of_outbox], session)
        return first

    async def allocate(self, count: int, field: str = "top") -> int:
        """A dense block of ``count`` numbers (one atomic write, outside any transaction);
        returns its first. ``field="bottom"`` counts down (numbers for migrated rows)."""
        step = count if field == "top" else -count
        while True:
            counter = await self.sequences.find_one_and_update(
                {"_id": self.collection.name},
                {"$inc": {field: step}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            if counter is not None:
                return int(counter[field]) - count + 1 if step > 0 else int(counter[field])
            # Measured on SecantusDB: of concurrent upserts that create the counter, the
            # losers apply their $inc but answer no document. That block is lost (a gap
            # the relay passes); take another. ``create_counter`` makes this rare.

    async def create_counter(self) -> None:
        """The counter document, created once at start so requests only ever update it."""
        with contextlib.suppress(DuplicateKeyError):  # another instance created it first
            await self.sequences.update_one(
                {"_id": self.collection.name},
                {"$setOnInsert": {"top": 0, "bottom": 0}},
                upsert=True,
            )

    async def bounds(self) -> tuple[int, int]:
        """The lowest and the highest number ever given (1, 0 when none)."""
        counter = await self.sequences.find_one({"_id": self.collection.name}) or {}
        return min(int(counter.get("bottom", 0)), 0) or 1, int(counter.get("top", 0))

    def lease(self, ttl: timedelta) -> "Lease":
        """The relay's lease: its document is also where the cursor lives, so the relay and
        every reader of the cursor (backlog, replay, "published through") name the same one."""
        return Lease(self.leases, LEASE, ttl)

    async def cursor(self) -> Cursor:
        return Cursor.from_document(await self.leases.find_one({"_id": LEASE}))

    async def rows(self, low: int, high: int, *, live: bool = False) -> list[Document]:
        """Rows numbered ``low``..``high`` in order (one bounded index range); ``live``:
        without tombstones."""
        window: Document = {"seq": {"$gte": low, "$lte": high}}
        if live:
            window["tombstone"] = {"$ne": True}
        return (
            await self.collection.find(window)
            .sort("seq", ASCENDING)
            .batch_size(high - low + 2)
            .to_list()
        )

    async def backlog(self) -> int:
        """Rows (each of one or several events) not yet published: after the cursor's
        mark, or in one of its gaps."""
        cursor, (_, top) = await self.cursor(), await self.bounds()
        ranges = [(gap.low, gap.high) for gap in cursor.gaps]
        if top > cursor.published:
            ranges.append((cursor.published + 1, top))
        live = {"tombstone": {"$ne": True}}
        counts = [
            await self.collection.count_documents({"seq": {"$gte": low, "$lte": high}, **live})
            for low, high in ranges
        ]
        return sum(counts)

    async def published_through(self, last: int) -> bool:
        """Whether every row numbered up to ``last`` is on the broker (a gap whose row
        never committed does not count: there is nothing to publish)."""
        cursor = await self.cursor()
        if cursor.published < last:
            return False
        for gap in cursor.gaps:
            if gap.low <= last and await self.rows(gap.low, min(gap.high, last), live=True):
                return False
        return True

    def nudge(self) -> None:
        """Wake the relay now instead of at its next poll (call after the commit)."""
        self.wakeup.set()


def _numbers_closed(error: PyMongoError) -> PyMongoError:
    """A tombstone took one of the numbers (this transaction outlived the relay's horizon):
    the whole transaction runs again and takes new numbers."""
    return PyMongoError(f"outbox numbers closed: {error}", error_labels=[TRANSIENT])


async def create_outbox_indexes(collection: OutboxCollection) -> None:
    # ``_id`` is the sequence (unique: tombstones fence late transactions), ``seq`` the
    # same number for range reads (some engines scan the collection for an ``_id`` range).
    await collection.create_index([("seq", ASCENDING)])


async def replay_since(
    collection: OutboxCollection, since: datetime, until: datetime | None = None
) -> int:
    """Publish the rows created in [since, until) again: the cursor moves back to the first
    of them (with ``until``, that range becomes a gap instead, so later rows are not
    re-sent). Returns how many events will be re-published."""
    outbox = Outbox(collection)
    low, top = await outbox.bounds()
    window: Document = {"$gte": since}
    if until is not None:
        window["$lt"] = until
    found = await collection.find(
        {"seq": {"$gte": low, "$lte": top}, "created_at": window, "tombstone": {"$ne": True}},
        {"seq": True, "events": True},
    ).to_list()
    if not found:
        return 0
    numbers = sorted(row["seq"] for row in found)
    await _move_cursor(outbox, numbers[0], numbers[-1] if until is not None else None)
    return sum(row.get("events", 1) for row in found)


async def _move_cursor(outbox: Outbox, first: int, last: int | None) -> None:
    current = await outbox.leases.find_one({"_id": LEASE})
    cursor = Cursor.from_document(current)
    if last is None or last >= cursor.published:
        moved = cursor.replayed_from(first)
    else:
        moved = cursor.with_gap(Gap(first, last, utc_now()))
    await outbox.leases.update_one(
        {"_id": LEASE}, {"$set": moved.fields(), "$inc": {"version": 1}}, upsert=True
    )


class Lease:
    """A MongoDB lease so that one relay per service publishes at a time (ordering).

    Short (seconds), so a replacement takes over soon after a holder dies without letting
    go; renewed only when a third of it has passed, and only by a relay that has work, so
    an idle desk writes nothing (every write costs the database, and some engines keep a
    record of each retryable one for half an hour). The document also holds the relay's
    cursor, which only a holder moves (its write names the holder): a fencing token.
    Letting go clears the holder; deleting the document would lose the cursor.
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

    def terms(self) -> tuple[float, datetime]:
        """(monotonic start, expiry) of a renewal written now."""
        return time.monotonic(), utc_now() + self.ttl

    def renewed(self, started: float) -> None:
        """A write by this holder that set ``expires_at`` (a cursor write) renewed it."""
        self._held_until = started + self.ttl.total_seconds()

    def lost(self) -> None:
        self._held_until = 0.0

    async def acquire(self) -> bool:
        """Take or renew the lease (one write); False while another holder's is unexpired."""
        started, now = time.monotonic(), utc_now()
        free = [{"holder": self.holder}, {"expires_at": {"$lt": now}}, {"expires_at": None}]
        try:
            lease = await self.collection.find_one_and_update(
                {"_id": self.name, "$or": free},
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
        await self.collection.update_one(
            {"_id": self.name, "holder": self.holder},
            {"$set": {"holder": None, "expires_at": None}},
        )
