"""Which acknowledged rows a relay may mark sent after a part-way failure."""

from collections.abc import Sequence

import pytest

from shared.outbox import Record
from shared.relay import Unpacked, acknowledged_in_order

FAILED = TimeoutError("no ack")


def rows(*keys: str) -> list[Unpacked]:
    """One row per argument; a row of several events names its keys joined by "+"."""
    return [Unpacked(index, [Record("t", key, b"", []) for key in keys.split("+")])
            for index, keys in enumerate(keys)]  # fmt: skip


def settled(rows: list[Unpacked], outcomes: Sequence[BaseException | None]) -> list[int]:
    return [row.seq for row in acknowledged_in_order(rows, outcomes)]


def test_every_row_is_marked_when_every_row_was_acknowledged() -> None:
    assert settled(rows("a", "b", "a"), [None, None, None]) == [0, 1, 2]


def test_only_the_unacknowledged_tail_of_a_key_stays_pending() -> None:
    outcomes = [None, FAILED, None, None, None]
    # b failed at row 1: b's later row 3 stays pending too (it must not overtake row 1),
    # while a's and c's rows after the failure are marked sent and not sent again.
    assert settled(rows("a", "b", "a", "b", "c"), outcomes) == [0, 2, 4]


def test_nothing_is_marked_when_nothing_was_acknowledged() -> None:
    assert settled(rows("a", "b"), [FAILED, FAILED]) == []


def test_a_row_of_several_events_is_marked_only_when_all_of_them_were_acknowledged() -> None:
    # Row 0 carries a and b; b's record failed, so the row is sent again whole, and the
    # later rows of either of its keys wait behind it (a's was acknowledged, yet must not
    # be settled before row 0); c's row is unaffected.
    outcomes = [None, FAILED, None, None, None]
    assert settled(rows("a+b", "a", "b", "c"), outcomes) == [3]
    assert settled(rows("a+b", "c+d"), [None, None, None, None]) == [0, 1]


def test_outcomes_that_do_not_match_the_records_are_refused() -> None:
    with pytest.raises(ValueError, match="1 outcomes for 2 records"):
        settled(rows("a+b"), [None])
