"""The dispatcher stops when cancelled, even when a wakeup arrives in the same instant."""

import asyncio
import dataclasses
from typing import Any, Literal

from aiohttp.test_utils import TestClient

from services.notifications.keys import MAILROOM
from services.notifications.sending.dispatcher import run_dispatcher
from tests.support import eventually


class WatchedEvent(asyncio.Event):
    """An event that says whether somebody is waiting on it right now."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = False

    async def wait(self) -> Literal[True]:
        self.waiting = True
        try:
            return await super().wait()
        finally:
            self.waiting = False


async def test_a_cancel_that_meets_a_wakeup_still_stops_the_dispatcher(
    notifications: TestClient[Any, Any],
) -> None:
    wakeup = WatchedEvent()
    mailroom = dataclasses.replace(notifications.app[MAILROOM], wakeup=wakeup)
    task = asyncio.create_task(run_dispatcher(mailroom))

    async def idle() -> bool:  # waiting between polls, as it does most of the time
        return wakeup.waiting

    await eventually(idle)
    # A mail queued just as the service stops: with asyncio.wait_for (Python 3.11) the
    # wakeup won over the cancel, the loop went on, and the service's stop (a test's
    # teardown) waited for ever.
    wakeup.set()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=10)
    assert task in done and task.cancelled()
