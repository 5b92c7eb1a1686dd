"""A deadline for every async test: one still running after ``TEST_DEADLINE_SECONDS`` is
cancelled and fails, its report naming where each task on the loop was waiting, and the
suite goes on.

faulthandler alone is not enough: it prints the threads, and a test waiting on the event
loop shows only the loop's ``select``; nor does it stop the test, so one hang used up a
whole CI run. A task's own stack is no better (a suspended coroutine shows one frame), so
the report follows each task's chain of awaits down to the future it waits for."""

import asyncio
import functools
import inspect
from collections.abc import Callable, Coroutine, Generator, Iterable
from types import FrameType
from typing import Any

import pytest

# Far above what a test takes on a loaded CI machine (the broker restarts, about a minute),
# and below faulthandler_timeout, which stays for a fixture or a synchronous call that hangs.
# A test that runs whole desks for minutes says so: ``@pytest.mark.deadline(seconds)``.
TEST_DEADLINE_SECONDS = 480.0

AsyncTest = Callable[..., Coroutine[Any, Any, Any]]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    if not isinstance(item, pytest.Function) or not inspect.iscoroutinefunction(item.obj):
        return (yield)
    test = item.obj
    marked = item.get_closest_marker("deadline")
    seconds = float(marked.args[0]) if marked else TEST_DEADLINE_SECONDS
    item.obj = within_deadline(test, seconds)
    try:
        return (yield)
    finally:
        item.obj = test


def within_deadline(test: AsyncTest, seconds: float) -> AsyncTest:
    """``test``, cancelled after ``seconds`` and then failed with every task's awaits."""

    @functools.wraps(test)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        this = asyncio.current_task()
        assert this is not None
        waiting: list[str] = []

        def expire() -> None:
            waiting.append(awaits_of(asyncio.all_tasks(loop)))
            this.cancel()

        timer = loop.call_later(seconds, expire)
        try:
            return await test(*args, **kwargs)
        except asyncio.CancelledError:
            if not waiting:
                raise
        finally:
            timer.cancel()
        pytest.fail(f"still running after {seconds:g} s; its loop's tasks were "
                    f"waiting here:\n{waiting[0]}", pytrace=False)  # fmt: skip

    return timed


def awaits_of(tasks: Iterable[asyncio.Task[Any]]) -> str:
    """Each task with the frames of its chain of awaits, outermost first."""
    return "\n".join(
        "\n".join([repr(task), *(f"  {line}" for line in await_chain(task.get_coro()))])
        for task in sorted(tasks, key=lambda task: task.get_name())
    )


def await_chain(awaitable: object) -> list[str]:
    lines: list[str] = []
    while awaitable is not None:
        frame = _frame_of(awaitable)
        # No frame: a future (asyncio's iterator over one hides which), or another awaitable.
        if frame is None:
            what = "a future" if type(awaitable).__name__ == "FutureIter" else repr(awaitable)
            lines.append(f"awaits {what}")
            break
        lines.append(f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}")
        awaitable = (
            getattr(awaitable, "cr_await", None)
            or getattr(awaitable, "gi_yieldfrom", None)
            or getattr(awaitable, "ag_await", None)
        )
    return lines


def _frame_of(awaitable: object) -> FrameType | None:
    for name in ("cr_frame", "gi_frame", "ag_frame"):
        frame = getattr(awaitable, name, None)
        if isinstance(frame, FrameType):
            return frame
    return None
