"""Stopping background tasks without hanging a shutdown on a client that ignores cancel."""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from shared.backoff import doubling_pause
from shared.logs import get_logger

log = get_logger(__name__)

# A Kafka client cancelled half-way through start() or stop() can keep waiting on its
# connections; a shutdown (or a test's teardown) must not wait on it for ever.
CANCEL_GRACE_SECONDS = 5.0


async def cancel_and_wait(task: asyncio.Task[None], grace: float = CANCEL_GRACE_SECONDS) -> None:
    """Cancel ``task`` and wait for it at most ``grace`` seconds; a task that is still
    running then is left behind with a warning instead of blocking the caller."""
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=grace)
    if not done:
        log.warning("task.did_not_stop", task=task.get_name(), grace_seconds=grace)
        return
    if not task.cancelled() and task.exception() is not None:
        log.warning("task.failed_on_stop", task=task.get_name(), error=repr(task.exception()))


async def drain_or_cancel(task: asyncio.Task[None], drain_seconds: float) -> None:
    """Wait up to ``drain_seconds`` for a task already told to stop (it finishes the work
    in hand), then cancel it: a graceful stop that cannot hang a shutdown."""
    if task.cancelled():  # ended before the stop: awaited, it would cancel the stop itself
        log.warning("task.cancelled_before_stop", task=task.get_name())
        return
    try:
        await asyncio.wait_for(asyncio.shield(task), drain_seconds)
    except TimeoutError:
        await cancel_and_wait(task)
    except Exception as error:  # it ended on its own, badly: nothing left to stop
        log.warning("task.failed_on_stop", task=task.get_name(), error=repr(error))


# While a process stops, one call to a server that is away (a lease's release, a client's
# close) would otherwise wait out its own timeouts (server selection: 5 s each), and a
# service has a dozen of them: a stop takes its deadline (Kubernetes' grace) and is killed.
STOP_CALL_SECONDS = 2.0


async def at_most(call: Awaitable[object], what: str, seconds: float = STOP_CALL_SECONDS) -> None:
    """Await a call made while stopping, giving up after ``seconds``: what it would have
    done (hand a lease on, say goodbye to a server) is a courtesy that expires anyway."""
    try:
        async with asyncio.timeout(seconds):
            await call
    except TimeoutError:
        log.warning("stop.call_abandoned", call=what, seconds=seconds)


async def until_set(event: asyncio.Event, seconds: float) -> bool:
    """Wait for ``event`` at most ``seconds``; True if it was set.

    Not ``asyncio.wait_for(event.wait(), seconds)``: on Python 3.11 that swallows a
    cancellation arriving in the same loop iteration as the event (it returns the event's
    result instead of raising), and a background loop built on it then never stops: its
    owner's ``task.cancel()`` and wait hang for ever (the test suite stalled on this in a
    fixture's teardown). ``asyncio.timeout`` delivers every cancellation."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True


# A loop that ended with an error is started again after this pause, doubled at each
# failure in a row up to the most: a fault that lasts does not spin, one that passes costs
# a second.
RESTART_FIRST_SECONDS = 1.0
RESTART_MOST_SECONDS = 30.0


class KeptRunning:
    """A background loop (a consumer, a relay, the monitor's tail…) started again whenever
    it ends with an error, after a pause: an error nothing inside the loop expected used to
    end it for good, and a consumer that reads nothing more until its process restarts
    loses no event but delays all of them. The error is logged when it happens, with its
    traceback; ``up`` is False from then until the restart (``shared.http.health.running``
    says so). A loop that returns has stopped as asked and is not started again."""

    def __init__(self, start: Callable[[], Coroutine[Any, Any, None]], name: str) -> None:
        self.name = name
        self.restarts = 0
        self._start = start
        self._down = False
        self.task = asyncio.create_task(self._keep_running(), name=name)
        self.task.add_done_callback(_log_unexpected_end)

    @property
    def up(self) -> bool:
        return not self._down and not self.task.done()

    async def _keep_running(self) -> None:
        clock = asyncio.get_running_loop()
        failures = 0
        while True:
            started = clock.time()
            try:
                await self._start()
                return
            except Exception:
                # It ran well for a while before this fault: a new fault, a short pause.
                failures = 1 if clock.time() - started > RESTART_MOST_SECONDS else failures + 1
                pause = doubling_pause(failures, RESTART_FIRST_SECONDS, RESTART_MOST_SECONDS)
                self._down = True
                log.exception("task.failed", task=self.name, restart_in_seconds=pause)
            await asyncio.sleep(pause)
            self._down = False
            self.restarts += 1
            log.info("task.restarted", task=self.name, restarts=self.restarts)


def _log_unexpected_end(task: asyncio.Task[None]) -> None:
    """What ends the keeper itself (a BaseException that is no cancel) is said at once."""
    if task.cancelled() or task.exception() is None:
        return
    log.error("task.failed", task=task.get_name(), exc_info=task.exception())
