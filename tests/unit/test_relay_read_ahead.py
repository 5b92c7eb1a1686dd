"""Dropping a relay's read ahead (a read of the next batch no pass will use)."""

import asyncio

import pytest
from pymongo.errors import AutoReconnect

from shared.outbox_cursor import Cursor
from shared.relay import ReadAhead


async def _read_that_ends_slowly(stopping: asyncio.Event) -> list[dict[str, object]]:
    """A read that, once cancelled, takes a while to end (as a driver closing the
    connection it was reading from)."""
    try:
        await asyncio.Event().wait()
    finally:
        stopping.set()
        await asyncio.sleep(0.5)
    return []


def _ahead(rows: "asyncio.Task[list[dict[str, object]]]") -> ReadAhead:
    cursor = Cursor()
    return ReadAhead(cursor, cursor.plan(10, 5), rows)


async def test_a_relay_cancelled_while_it_drops_its_read_ahead_is_cancelled() -> None:
    stopping = asyncio.Event()
    read = asyncio.create_task(_read_that_ends_slowly(stopping))
    await asyncio.sleep(0)
    dropping = asyncio.create_task(_ahead(read).drop())
    await stopping.wait()  # the read is ending; the pass waits for it
    dropping.cancel()  # the relay is told to stop meanwhile
    with pytest.raises(asyncio.CancelledError):
        await dropping
    await asyncio.wait([read])


async def test_a_dropped_read_that_failed_is_of_no_interest() -> None:
    async def failed() -> list[dict[str, object]]:
        raise AutoReconnect("the database went away")

    read = asyncio.create_task(failed())
    await asyncio.sleep(0)
    await _ahead(read).drop()  # neither raises nor leaves "exception never retrieved"
    assert read.done()
