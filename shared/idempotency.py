"""Idempotency keys: a request retried with the same key gets the original outcome.

The claim is written inside the request's own transaction (by the unit of work, next to
the first event it publishes), so it exists exactly when the change committed: a client
that lost the answer (a timeout, a reset, a database restart mid-commit) and retries
finds it and is answered from it instead of running the command a second time.
"""

import hashlib
import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.clock import utc_now
from shared.mongo import Document

COLLECTION = "idempotency_keys"
# How long a key is remembered; clients retry within minutes, a day is generous.
KEEP = timedelta(hours=24)
IdempotencyCollection = AsyncCollection[Document]


class KeyInUse(Exception):
    """Another request with the same key is running right now."""


@dataclass
class Claim:
    """The key of the request in hand; ``subject`` is set once a transaction claimed it."""

    key_id: str
    fingerprint: str
    subject: str | None = None


CURRENT: ContextVar[Claim | None] = ContextVar("idempotency_claim", default=None)


def claim_of(scope: str, method: str, path: str, key: str, body: bytes) -> Claim:
    """A claim for ``key`` as sent by ``scope`` (a caller) to one route; ``body`` is
    fingerprinted so that a reused key with a different request is recognised."""
    key_id = hashlib.sha256(f"{scope}\0{method}\0{path}\0{key}".encode()).hexdigest()
    return Claim(key_id=key_id, fingerprint=hashlib.sha256(_as_meant(body)).hexdigest())


def _as_meant(body: bytes) -> bytes:
    """A JSON body in one spelling (keys sorted, no spacing), so that a retry whose client
    serialised the same request differently is still the same request; any other body
    (an upload) as sent."""
    try:  # the standard library's json keeps big integers exact, where orjson rounds them
        request = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested past what the API reads
        return body
    return json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def forget_uncommitted_claim() -> None:
    """Before a transaction runs again: what the failed attempt claimed was rolled back."""
    claim = CURRENT.get()
    if claim is not None:
        claim.subject = None


async def record_claim(
    collection: IdempotencyCollection, session: AsyncClientSession, subject: str
) -> None:
    """Inside a transaction: claim the current key (if any) for the aggregate ``subject``."""
    claim = CURRENT.get()
    if claim is None or claim.subject is not None:
        return
    try:
        await collection.insert_one(
            {
                "_id": claim.key_id,
                "fingerprint": claim.fingerprint,
                "subject": subject,
                "created_at": utc_now(),
                "outcome": None,
            },
            session=session,
        )
    except DuplicateKeyError:
        raise KeyInUse("a request with this Idempotency-Key is already being processed") from None
    claim.subject = subject


async def find_claim(collection: IdempotencyCollection, claim: Claim) -> Document | None:
    """The stored claim of an earlier request with the same key."""
    return await collection.find_one({"_id": claim.key_id})


async def store_outcome(collection: IdempotencyCollection, claim: Claim, outcome: Document) -> None:
    """After the commit: keep the answer so that a retry is answered the same."""
    await collection.update_one({"_id": claim.key_id}, {"$set": {"outcome": outcome}})


async def create_idempotency_indexes(collection: IdempotencyCollection) -> None:
    await collection.create_index([("created_at", ASCENDING)])


async def purge_expired(collection: IdempotencyCollection, now: datetime) -> int:
    """Forget keys older than ``KEEP`` (no TTL index: not every engine honours one)."""
    result = await collection.delete_many({"created_at": {"$lt": now - KEEP}})
    return result.deleted_count
