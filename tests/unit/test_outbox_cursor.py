"""The relay's cursor: what it reads next and where its mark and gaps go after a pass."""

from datetime import UTC, datetime, timedelta

from shared.outbox_cursor import Cursor, Gap, Plan

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(minutes=5)


def test_a_fresh_cursor_reads_the_first_numbers_up_to_the_counter() -> None:
    assert Cursor().plan(top=7, budget=500) == Plan([], (1, 7))
    assert Cursor().plan(top=900, budget=500) == Plan([], (1, 500))
    assert Cursor(published=7).plan(top=7, budget=500) == Plan([], None)


def test_gaps_are_read_first_and_count_against_the_batch() -> None:
    cursor = Cursor(published=100, gaps=(Gap(3, 4, EARLIER), Gap(50, 59, EARLIER)))
    assert cursor.plan(top=1000, budget=10) == Plan([(3, 4), (50, 57)], None)
    assert cursor.plan(top=1000, budget=20) == Plan([(3, 4), (50, 59)], (101, 108))


def test_close_pieces_are_read_as_one_range() -> None:
    plan = Plan([(3, 4), (90, 95)], (101, 200))
    assert plan.ranges(join=10) == [(3, 4), (90, 200)]


def test_a_plan_covers_its_pieces_and_not_what_a_joined_range_reads_between_them() -> None:
    plan = Plan([(3, 4), (90, 95)], (101, 200))
    assert plan.pieces == [(3, 4), (90, 95), (101, 200)]
    assert [n for n in (3, 4, 5, 89, 95, 96, 100, 101, 200, 201) if plan.covers(n)] == [
        3, 4, 95, 101, 200
    ]  # fmt: skip


def test_numbers_passed_unseen_become_gaps_and_the_mark_moves_to_the_last_settled() -> None:
    cursor = Cursor(published=10)
    plan = cursor.plan(top=20, budget=500)
    moved = cursor.after(plan, seen=[11, 13, 14, 16], settled=[11, 13, 14, 16], now=NOW)
    assert moved.published == 16
    assert moved.gaps == (Gap(12, 12, NOW), Gap(15, 15, NOW))  # 17..20 wait above the mark


def test_a_late_row_found_in_a_gap_settles_it() -> None:
    cursor = Cursor(published=16, gaps=(Gap(12, 12, EARLIER), Gap(15, 15, EARLIER)))
    plan = cursor.plan(top=16, budget=500)
    moved = cursor.after(plan, seen=[15], settled=[15], now=NOW)
    assert moved == Cursor(published=16, gaps=(Gap(12, 12, EARLIER),))


def test_unacknowledged_rows_stay_to_be_sent_again() -> None:
    cursor = Cursor(published=0)
    plan = cursor.plan(top=5, budget=500)
    moved = cursor.after(plan, seen=[1, 2, 3, 4, 5], settled=[1, 3, 4], now=NOW)
    assert moved.published == 4 and moved.gaps == (Gap(2, 2, NOW),)
    assert moved.wanted(2) and moved.wanted(5) and not moved.wanted(3)


def test_nothing_acknowledged_moves_nothing() -> None:
    cursor = Cursor(published=0)
    plan = cursor.plan(top=3, budget=500)
    assert cursor.after(plan, seen=[1, 2, 3], settled=[], now=NOW) == cursor


def test_a_window_with_nothing_committed_is_passed_as_gaps() -> None:
    # Taken numbers whose transactions have not committed (or never will): the mark
    # moves over them, so an idle check finds the counter reached.
    cursor = Cursor(published=5)
    plan = cursor.plan(top=8, budget=500)
    assert cursor.after(plan, seen=[], settled=[], now=NOW) == Cursor(5 + 3, (Gap(6, 8, NOW),))


def test_closed_numbers_leave_the_gaps_and_expiry_is_by_age() -> None:
    cursor = Cursor(published=20, gaps=(Gap(2, 6, EARLIER), Gap(9, 9, NOW)))
    assert cursor.expired(NOW - timedelta(minutes=2)) == [Gap(2, 6, EARLIER)]
    assert cursor.without([2, 4, 5, 6]).gaps == (Gap(3, 3, EARLIER), Gap(9, 9, NOW))


def test_a_replay_moves_the_mark_back_and_drops_the_gaps_it_covers() -> None:
    cursor = Cursor(published=20, gaps=(Gap(2, 2, EARLIER), Gap(15, 16, EARLIER)), version=4)
    assert cursor.replayed_from(10) == Cursor(9, (Gap(2, 2, EARLIER),), 4)
    assert cursor.replayed_from(30) == cursor


def test_the_stored_form_round_trips() -> None:
    cursor = Cursor(published=20, gaps=(Gap(2, 2, EARLIER),), version=3)
    assert Cursor.from_document({**cursor.fields(), "version": 3}) == cursor
    assert Cursor.from_document(None) == Cursor()
