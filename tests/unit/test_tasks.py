"""Stopping a background task: cancelled and awaited, never waited on past the grace."""

import asyncio

import structlog

from shared.tasks import at_most, cancel_and_wait, drain_or_cancel, until_set, watched


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


async def test_a_watched_task_that_fails_is_logged_when_it_fails() -> None:
    async def failing() -> None:
        raise RuntimeError("the loop broke")

    with structlog.testing.capture_logs() as logs:
        task = watched(failing(), "a-loop")
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)  # done callbacks run on the next turn of the loop
    failures = [entry for entry in logs if entry["event"] == "task.failed"]
    assert [entry["task"] for entry in failures] == ["a-loop"]
    assert isinstance(failures[0]["exc_info"], RuntimeError)
