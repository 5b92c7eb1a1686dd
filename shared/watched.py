"""Documents kept in memory while a change stream of their collection says they have not
changed: reads that every request makes (its API key, the desk's routing rules) answered
without a round trip, on every replica of a service, whoever wrote the change.

An entry is kept only while the stream is open, and only if no change arrived while it was
read; a change drops its document's entry as soon as the stream reports it (a few
milliseconds after the commit, measured on SecantusDB: the same as a request that started
a moment before the change). A stream that fails empties the memory and every read goes to
the database until it is open again. Reads must be of committed data (no transaction's
session): a transaction's snapshot may be older than a change already reported.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from shared.logs import get_logger
from shared.mongo import Document

V = TypeVar("V")
log = get_logger(__name__)
# An idle stream asks the server every this long (a read; an idle desk writes nothing).
AWAIT_MS = 5_000
REOPEN_SECONDS = 1.0


def _any(value: object) -> bool:
    return True


class WatchedDocuments(Generic[V]):
    def __init__(self, collection: AsyncCollection[Document], limit: int = 10_000) -> None:
        self.collection = collection
        self.limit = limit
        self._entries: dict[Hashable, V] = {}
        self._live = False
        self._generation = 0
        """Counts reported changes and stream restarts: a read that saw it move is not kept."""

    async def get(
        self, key: Hashable, read: Callable[[], Awaitable[V]], keep: Callable[[V], bool] = _any
    ) -> V:
        """The kept value of ``key``, or what ``read`` answers now (kept if ``keep`` says so
        and nothing changed meanwhile)."""
        if self._live and key in self._entries:
            return self._entries[key]
        generation = self._generation
        value = await read()
        if self._live and generation == self._generation and keep(value):
            if len(self._entries) >= self.limit:
                self._entries.clear()  # bounded memory; the next reads fill it again
            self._entries[key] = value
        return value

    async def watch(self) -> None:
        """Follow the collection's changes for the life of the process (a background task)."""
        while True:
            try:
                async with await self.collection.watch(max_await_time_ms=AWAIT_MS) as stream:
                    # A read that began before the stream opened may predate a change
                    # the stream will never report: it is not kept.
                    self._generation += 1
                    self._live = True
                    async for change in stream:
                        self.changed(change)
            except PyMongoError as error:  # the database is away: read through until back
                log.warning("watched.stream_failed", collection=self.collection.name,
                            error=repr(error))  # fmt: skip
            finally:
                self._forget_all()
            await asyncio.sleep(REOPEN_SECONDS)

    def holds(self, key: Hashable) -> bool:
        """Whether the next read of ``key`` is answered from memory."""
        return self._live and key in self._entries

    def forget(self, key: Hashable | None = None) -> None:
        """This process changed the document (None: any of them): the next read goes to the
        database at once, not only when the stream reports the change."""
        self.changed({"documentKey": {"_id": key}} if key is not None else {})

    def changed(self, change: dict[str, Any]) -> None:
        """A change the stream reported: its document's entry goes (every entry, for a
        change that names no document: a drop, a rename)."""
        self._generation += 1
        key = (change.get("documentKey") or {}).get("_id")
        if key is None:
            self._entries.clear()
        else:
            self._entries.pop(key, None)

    def _forget_all(self) -> None:
        self._live = False
        self._generation += 1
        self._entries.clear()
