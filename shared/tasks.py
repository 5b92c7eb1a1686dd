"""Stopping background tasks without hanging a shutdown on a client that ignores cancel."""

import asyncio

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
