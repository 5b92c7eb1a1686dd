"""The suite's deadline for async tests (tests/deadline.py)."""

import asyncio

import pytest

from tests.deadline import within_deadline


async def _waits_for(event: asyncio.Event) -> None:
    await event.wait()


async def test_a_test_past_its_deadline_fails_naming_the_await_it_was_stuck_in() -> None:
    never = asyncio.Event()

    async def stuck() -> None:
        await _waits_for(never)

    with pytest.raises(pytest.fail.Exception) as failed:
        await within_deadline(stuck, 0.05)()
    report = str(failed.value)
    assert "still running after 0.05 s" in report
    assert "in stuck" in report and "in _waits_for" in report  # down the chain of awaits
    assert "awaits a future" in report  # to the future it waits for


async def test_a_test_within_its_deadline_returns_what_it_returns() -> None:
    async def quick(value: int) -> int:
        await asyncio.sleep(0)
        return value

    assert await within_deadline(quick, 5)(7) == 7


async def test_a_cancellation_from_elsewhere_is_not_reported_as_the_deadline() -> None:
    never = asyncio.Event()
    task = asyncio.create_task(within_deadline(_waits_for, 5)(never))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_failing_test_fails_as_it_would_have() -> None:
    async def wrong() -> None:
        raise AssertionError("as written")

    with pytest.raises(AssertionError, match="as written"):
        await within_deadline(wrong, 5)()
