"""MongoDB plumbing every repository uses: the client, transactions, ids, error tests."""

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from itertools import groupby
from typing import Any, Protocol, TypeVar

from bson import ObjectId
from pymongo import AsyncMongoClient, InsertOne, ReadPreference, WriteConcern
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import (
    BulkWriteError,
    ClientBulkWriteException,
    ConnectionFailure,
    DuplicateKeyError,
    PyMongoError,
)
from pymongo.read_concern import ReadConcern

from shared.backoff import doubling_pause
from shared.logs import get_logger

log = get_logger(__name__)

Document = dict[str, Any]
MongoClient = AsyncMongoClient[Document]
T = TypeVar("T")
CommitProbe = Callable[[], Awaitable[bool]]
"""Answers "did this transaction commit?" by looking for something only it wrote."""
TRANSIENT = "TransientTransactionError"
UNKNOWN_COMMIT = "UnknownTransactionCommitResult"
# How long a request keeps retrying a transaction the server asked to retry (write
# conflicts, a failover, a restart) before it gives up with a 503.
RETRY_SECONDS = 10.0
DUPLICATE_KEY = 11000
WRITE_CONFLICT = 112
WRITES_ACROSS_COLLECTIONS = 25
"""The wire version of MongoDB 8.0, the first whose ``bulkWrite`` command writes to several
collections at once."""


def create_client(uri: str, *, timeout_ms: int = 5000) -> MongoClient:
    """A client that fails fast when the server is gone instead of hanging a request."""
    return AsyncMongoClient(
        uri, tz_aware=True, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms
    )


def new_id() -> str:
    """A time-ordered, URL-safe id (an ObjectId's hex form), so cursors can sort by it."""
    return str(ObjectId())


@asynccontextmanager
async def transaction(
    client: MongoClient,
    committed: CommitProbe | None = None,
    *,
    session: AsyncClientSession | None = None,
) -> AsyncIterator[AsyncClientSession]:
    """One multi-document transaction, majority-committed, aborted on any exception.

    ``committed`` settles a commit whose answer was lost (see ``commit``); ``session``
    runs it in a session the caller keeps (else a new one)."""
    if session is not None:
        async with _transaction_in(session, committed):
            yield session
        return
    async with client.start_session() as own, _transaction_in(own, committed):
        yield own


@asynccontextmanager
async def _transaction_in(
    session: AsyncClientSession, committed: CommitProbe | None
) -> AsyncIterator[None]:
    await session.start_transaction(
        read_concern=ReadConcern("snapshot"),
        write_concern=WriteConcern("majority"),
        read_preference=ReadPreference.PRIMARY,
    )
    try:
        yield
    except BaseException:
        if session.in_transaction:
            with contextlib.suppress(PyMongoError):  # the server aborts it anyway
                await session.abort_transaction()
        raise
    await commit(session, committed)


async def commit(session: AsyncClientSession, committed: CommitProbe | None) -> None:
    """Commit; when the answer is lost, find out what happened instead of guessing.

    As the drivers advise, a commit with an unknown result is retried (a committed
    transaction answers the retry with success). A server that restarted forgets the
    transaction and answers the retry with NoSuchTransaction whether or not it committed:
    then ``committed`` looks for what the transaction wrote, so that a write which did
    land is not reported as failed (and then retried into a false conflict).
    """
    try:
        await session.commit_transaction()
    except PyMongoError as error:
        if not _outcome_unknown(error) or committed is None:
            raise
        if await _settle(committed):
            return
        # It did not commit: the whole transaction may run again.
        raise PyMongoError(str(error), error_labels=[TRANSIENT]) from error


def _outcome_unknown(error: PyMongoError) -> bool:
    # PyMongo retries a commit once itself; a retry that found no transaction (a
    # restarted server) carries the transient label although the first try may have
    # committed.
    return error.has_error_label(UNKNOWN_COMMIT) or error.has_error_label(TRANSIENT)


async def _settle(committed: CommitProbe) -> bool:
    """Ask ``committed`` until the server answers (it may be restarting)."""
    async with asyncio.timeout(RETRY_SECONDS):
        while True:
            try:
                return await committed()
            except ConnectionFailure:
                await asyncio.sleep(0.2)


async def retrying_transactions(
    attempt: Callable[[], Awaitable[T]], *, seconds: float = RETRY_SECONDS
) -> T:
    """Run ``attempt`` again while it fails with a transient transaction error.

    MongoDB's drivers advise retrying the whole transaction on that label (a write
    conflict, a failover): nothing of the failed attempt committed. The attempt must be
    the whole transaction, reads included, so the retry decides afresh on fresh data.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    tries = 0
    while True:
        try:
            return await attempt()
        except PyMongoError as error:
            tries += 1
            if not error.has_error_label(TRANSIENT) or loop.time() >= deadline:
                raise
            # Jittered backoff so that two writers that collided do not collide again.
            await asyncio.sleep(random.uniform(0, min(0.5, 0.01 * 2**tries)))


@dataclass(frozen=True, slots=True)
class NewDocument:
    """A document a transaction inserts, and what one of its unique keys being taken means
    to the caller (by default the ``DuplicateKeyError`` itself)."""

    collection: AsyncCollection[Document]
    document: Document
    taken: Callable[[DuplicateKeyError], Exception] | None = None


class Inserts(Protocol):
    """Where a repository inserts the new documents of a change: a unit of work, which may
    send them with its events in one command."""

    async def insert(
        self,
        collection: AsyncCollection[Document],
        *documents: Document,
        taken: Callable[[DuplicateKeyError], Exception] | None = None,
    ) -> None: ...


def writes_across_collections(client: MongoClient) -> bool:
    """Whether every server the client knows takes one ``bulkWrite`` for several
    collections (MongoDB 8.0 and later). Read from what the client already knows of them:
    no round trip; a client that knows no server yet takes the other way."""
    servers = client.topology_description.known_servers
    return bool(servers) and all(
        (server.max_wire_version or 0) >= WRITES_ACROSS_COLLECTIONS for server in servers
    )


async def insert_together(
    client: MongoClient, documents: Sequence[NewDocument], session: AsyncClientSession | None
) -> None:
    """Insert the documents in their order, whatever their collections: in one command
    where the server has MongoDB 8's ``bulkWrite``, else one ``insert_many`` per run of the
    same collection. On SecantusDB a statement costs more than a document, so a
    registration's company, key and events cost two statements instead of three.

    Stops at the first failure. A taken unique key raises what that document's ``taken``
    makes of it."""
    runs = [list(run) for _, run in groupby(documents, key=lambda new: new.collection)]
    if len(runs) > 1 and writes_across_collections(client):
        if _opens_transaction(session):
            # A transaction's first statement carries its read concern, which SecantusDB
            # refuses on ``bulkWrite`` ("unknown field"): the first run opens it alone.
            await _insert_run(runs.pop(0), session)
        await _in_one_command(client, [new for run in runs for new in run], session)
        return
    for run in runs:
        await _insert_run(run, session)


def _opens_transaction(session: AsyncClientSession | None) -> bool:
    """Whether the next statement in ``session`` is its transaction's first, the one the
    driver gives the read concern. Asked of the driver's own flag (private: nothing public
    says it), since what is public misleads: a kept session's operation time is set by the
    transactions before this one."""
    return session is not None and session._starting_transaction


async def _insert_run(run: Sequence[NewDocument], session: AsyncClientSession | None) -> None:
    """Documents of one collection, in one ``insert_many``."""
    try:
        await run[0].collection.insert_many([new.document for new in run], session=session)
    except BulkWriteError as error:
        failure = error.details["writeErrors"][0]
        refusal = _refusal(run[failure["index"]], failure)
        if refusal is None:
            raise
        raise refusal from error


async def _in_one_command(
    client: MongoClient, documents: Sequence[NewDocument], session: AsyncClientSession | None
) -> None:
    requests = [InsertOne(new.document, namespace=new.collection.full_name) for new in documents]
    try:
        await client.bulk_write(requests, session=session)
    except ClientBulkWriteException as error:
        if isinstance(error.error, PyMongoError):
            # The command as a whole failed (a write conflict, a lost primary): that error
            # carries the labels that tell a transaction to run again.
            raise error.error from None
        failures = error.details.get("writeErrors") or []
        if not failures:
            raise
        failure = failures[0]  # ordered: the write that stopped the command
        refusal = _refusal(documents[failure["idx"]], failure)
        if refusal is None:
            raise
        raise refusal from error


def _refusal(refused: NewDocument, failure: Document) -> Exception | None:
    """What the write error ``failure``, which refused ``refused``, means to the caller
    (None: the error as it is)."""
    message = str(failure.get("errmsg", "write refused"))
    if failure.get("code") == WRITE_CONFLICT:  # the whole transaction may run again
        return PyMongoError(message, error_labels=[TRANSIENT])
    if failure.get("code") != DUPLICATE_KEY:
        return None
    duplicate = DuplicateKeyError(message, DUPLICATE_KEY, failure)
    return duplicate if refused.taken is None else refused.taken(duplicate)


def is_duplicate_key(error: PyMongoError, index_name: str | None = None) -> bool:
    """True for an E11000 error, optionally on one named unique index."""
    if not isinstance(error, DuplicateKeyError):
        return False
    return index_name is None or index_name in str(error)


async def insert_or_update(
    collection: AsyncCollection[Document],
    documents: Sequence[Document],
    session: AsyncClientSession | None,
    existing: Callable[[Document], Document] | None = None,
) -> set[int]:
    """What an upsert of each document, in order, does: it is inserted, or, if its ``_id``
    is taken, the update ``existing(document)`` is applied to the stored one (nothing if
    None). Returns the positions of those inserted.

    Outside a transaction that is one unordered insert (of the first document of each
    ``_id``), then the updates of the rest in order: nearly every such document is new, and
    on SecantusDB an insert costs ~20 % less server CPU than an upsert (no lookup, no
    update language), an insert of several a fraction of one each. In a transaction a
    duplicate key would abort it, so there each is one upsert."""
    if session is not None and session.in_transaction:
        return {
            index
            for index, document in enumerate(documents)
            if await _upsert(collection, document, existing, session)
        }
    firsts: dict[Any, int] = {}  # _id -> the position of its first document
    for index, document in enumerate(documents):
        firsts.setdefault(document["_id"], index)
    tried = list(firsts.values())
    inserted = set(tried)
    if tried:
        try:
            batch = [documents[index] for index in tried]
            await collection.insert_many(batch, ordered=False, session=session)
        except BulkWriteError as error:
            inserted -= {tried[position] for position in duplicate_positions(error)}
    if existing is not None:
        for index, document in enumerate(documents):
            if index not in inserted:
                await collection.update_one(
                    {"_id": document["_id"]}, existing(document), session=session
                )
    return inserted


async def _upsert(
    collection: AsyncCollection[Document],
    document: Document,
    existing: Callable[[Document], Document] | None,
    session: AsyncClientSession,
) -> bool:
    update = _upsert_of(document, None if existing is None else existing(document))
    result = await collection.update_one(
        {"_id": document["_id"]}, update, upsert=True, session=session
    )
    return result.upserted_id is not None


def _upsert_of(document: Document, existing: Document | None) -> Document:
    """The upsert that inserts ``document`` or applies ``existing`` to the stored one."""
    changed = set(existing.get("$set", {})) if existing else set()
    fresh = {key: value for key, value in document.items() if key not in changed | {"_id"}}
    return {**(existing or {}), **({"$setOnInsert": fresh} if fresh else {})}


def duplicate_positions(error: BulkWriteError) -> set[int]:
    """Positions in an unordered bulk write that failed only because their ``_id`` (or
    another unique key) was taken; any other failure is raised again."""
    errors = error.details.get("writeErrors", [])
    if not errors or any(failure.get("code") != DUPLICATE_KEY for failure in errors):
        raise error
    return {int(failure["index"]) for failure in errors}


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


# The first pause between pings of a database that does not answer yet; each one doubles.
START_PING_FIRST_SECONDS = 0.5
START_PING_MOST_SECONDS = 5.0


async def until_answering(client: MongoClient, seconds: float) -> None:
    """Wait at most ``seconds`` for the server to answer a ping, then raise what the last
    one met. Each ping already waits the client's server selection (5 s): a process that
    starts beside its database, or while it restarts or is too busy to answer one
    selection, starts late instead of exiting."""
    clock = asyncio.get_running_loop()
    deadline = clock.time() + seconds
    failures = 0
    while True:
        try:
            await ping(client)
            return
        except ConnectionFailure as error:
            failures += 1
            pause = doubling_pause(failures, START_PING_FIRST_SECONDS, START_PING_MOST_SECONDS)
            if clock.time() + pause >= deadline:
                raise
            log.warning("mongodb.not_answering_yet", error=repr(error), retry_in_seconds=pause)
            await asyncio.sleep(pause)
