"""MongoDB plumbing every repository uses: the client, transactions, ids, error tests."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bson import ObjectId
from pymongo import AsyncMongoClient, ReadPreference, WriteConcern
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError
from pymongo.read_concern import ReadConcern

Document = dict[str, Any]
MongoClient = AsyncMongoClient[Document]


def create_client(uri: str, *, timeout_ms: int = 5000) -> MongoClient:
    """A client that fails fast when the server is gone instead of hanging a request."""
    return AsyncMongoClient(
        uri, tz_aware=True, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms
    )


def new_id() -> str:
    """A time-ordered, URL-safe id (an ObjectId's hex form), so cursors can sort by it."""
    return str(ObjectId())


@asynccontextmanager
async def transaction(client: MongoClient) -> AsyncIterator[AsyncClientSession]:
    """One multi-document transaction, majority-committed, aborted on any exception."""
    async with (
        client.start_session() as session,
        await session.start_transaction(
            read_concern=ReadConcern("snapshot"),
            write_concern=WriteConcern("majority"),
            read_preference=ReadPreference.PRIMARY,
        ),
    ):
        yield session


def is_duplicate_key(error: PyMongoError, index_name: str | None = None) -> bool:
    """True for an E11000 error, optionally on one named unique index."""
    if not isinstance(error, DuplicateKeyError):
        return False
    return index_name is None or index_name in str(error)


def is_transient(error: BaseException) -> bool:
    """Errors worth retrying: lost connections and transactions the server asks to retry."""
    if isinstance(error, ConnectionFailure):
        return True
    return isinstance(error, PyMongoError) and (
        error.has_error_label("TransientTransactionError")
        or error.has_error_label("UnknownTransactionCommitResult")
    )


async def ping(client: MongoClient) -> None:
    await client.admin.command("ping")
