"""Stopping a background task: cancelled and awaited, never waited on past the grace."""

import asyncio

import pytest
import structlog

from shared import tasks
from shared.tasks import KeptRunning, at_most, cancel_and_wait, drain_or_cancel, until_set


async def test_a_task_that_stops_on_cancel_is_cancelled_and_awaited() -> None:
    task = asyncio.create_task(asyncio.sleep(3600))
    await cancel_and_wait(task, grace=5)
    assert task.cancelled()


async def test_a_task_that_ignores_the_cancel_is_left_behind_after_the_grace() -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue  # like a client stuck in its own shutdown

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await cancel_and_wait(task, grace=0.05)
    assert not task.done()
    release.set()
    await task


async def test_a_task_that_failed_while_stopping_does_not_fail_the_caller() -> None:
    async def failing() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise RuntimeError("broken on the way out") from None

    task = asyncio.create_task(failing())
    await asyncio.sleep(0)
    await cancel_and_wait(task, grace=5)
    assert isinstance(task.exception(), RuntimeError)


async def test_a_task_told_to_stop_finishes_its_work_in_hand_within_the_drain() -> None:
    stopping, finished = asyncio.Event(), []

    async def worker() -> None:
        await stopping.wait()
        await asyncio.sleep(0.01)  # the batch in hand
        finished.append(True)

    task = asyncio.create_task(worker())
    stopping.set()
    await drain_or_cancel(task, drain_seconds=5)
    assert finished and not task.cancelled()


async def test_a_task_that_does_not_stop_within_the_drain_is_cancelled() -> None:
    task = asyncio.create_task(asyncio.sleep(3600))  # never looks at a stop request
    await drain_or_cancel(task, drain_seconds=0.05)
    assert task.cancelled()


async def test_a_cancel_that_meets_the_event_still_stops_a_loop_waiting_with_until_set() -> None:
    wakeup = asyncio.Event()
    rounds = 0

    async def loop() -> None:
        nonlocal rounds
        while True:
            wakeup.clear()
            rounds += 1
            await until_set(wakeup, 0.01)

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)  # the loop waits
    wakeup.set()  # work arrives in the very instant the owner stops it
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert task in done and task.cancelled()


async def test_until_set_says_whether_the_event_came() -> None:
    event = asyncio.Event()
    assert not await until_set(event, 0.01)
    event.set()
    assert await until_set(event, 0.01)


async def test_a_call_made_while_stopping_is_abandoned_after_its_bound() -> None:
    abandoned = False

    async def stuck() -> None:  # a server that never answers
        nonlocal abandoned
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            abandoned = True
            raise

    await at_most(stuck(), "stuck", seconds=0.01)  # returns: the stop goes on
    assert abandoned


async def test_a_task_cancelled_before_the_stop_does_not_cancel_the_stop() -> None:
    task = asyncio.create_task(asyncio.sleep(3600))
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await drain_or_cancel(task, drain_seconds=5)  # raised CancelledError into the caller
    assert task.cancelled()


async def test_a_loop_that_fails_is_logged_down_and_started_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tasks, "RESTART_FIRST_SECONDS", 0.05)
    starts: list[int] = []
    third_start, resume = asyncio.Event(), asyncio.Event()

    async def loop() -> None:
        starts.append(len(starts))
        if len(starts) < 3:
            raise RuntimeError("the loop broke")
        third_start.set()
        await resume.wait()

    with structlog.testing.capture_logs() as logs:
        kept = KeptRunning(loop, "a-loop")
        await asyncio.sleep(0)
        assert not kept.up  # down from its failure until the pause is over
        async with asyncio.timeout(10):
            await third_start.wait()
        assert kept.up and kept.restarts == 2
    failures = [entry for entry in logs if entry["event"] == "task.failed"]
    assert [(entry["task"], entry["restart_in_seconds"]) for entry in failures] == [
        ("a-loop", 0.05),
        ("a-loop", 0.1),  # doubled: the fault lasted
    ]
    assert all(entry["exc_info"] is True for entry in failures)
    resume.set()
    await kept.task  # returned: stopped as asked, not started again
    assert not kept.up and kept.restarts == 2


async def test_a_loop_cancelled_in_its_pause_stays_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "RESTART_FIRST_SECONDS", 3600)

    async def failing() -> None:
        raise RuntimeError("the loop broke")

    kept = KeptRunning(failing, "a-loop")
    await asyncio.sleep(0)
    await cancel_and_wait(kept.task, grace=5)
    assert kept.task.cancelled() and not kept.up and kept.restarts == 0
