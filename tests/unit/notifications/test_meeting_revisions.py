"""Which meeting events are news: the matching service's revisions (SEQUENCE) decide, and
events from before revisions were numbered are counted here."""

from datetime import UTC, datetime, timedelta

from services.notifications.composing.audience import meeting_revision
from tests.integration.notifications.events import (
    meeting,
    meeting_cancelled,
    meeting_rescheduled,
)

START = datetime(2027, 3, 3, 2, 0, tzinfo=UTC)
FIRST = meeting("m1", "c1", "p1", START).model_copy(update={"sequence": 0})
MOVED = meeting_rescheduled(FIRST, START + timedelta(hours=2), sequence=1)
SEEN_MOVE = {"start": MOVED.slot.start, "end": MOVED.slot.end, "table": "Table 5", "sequence": 1}


def test_a_move_is_the_revision_it_names() -> None:
    known = {"start": START, "end": START + timedelta(minutes=30), "table": "Table 4"}
    revision = meeting_revision(MOVED, {**known, "sequence": 0})
    assert revision == SEEN_MOVE


def test_a_replayed_or_overtaken_revision_is_not_news() -> None:
    assert meeting_revision(MOVED, SEEN_MOVE) is None
    assert meeting_revision(FIRST, SEEN_MOVE) is None  # the scheduling, overtaken by its move


def test_a_cancellation_before_its_invitation_keeps_the_later_invitation_out() -> None:
    cancelled = meeting_cancelled(FIRST).model_copy(update={"sequence": 1})
    assert meeting_revision(cancelled, {}) == {"sequence": 1, "cancelled": True}
    assert meeting_revision(FIRST, {"sequence": 1, "cancelled": True}) is None


def test_unnumbered_events_are_counted_and_a_repeat_that_moves_nothing_is_not_news() -> None:
    unnumbered = meeting("m1", "c1", "p1", START)
    assert meeting_revision(unnumbered, {})["sequence"] == 0  # type: ignore[index]
    stored = {"start": START, "end": START + timedelta(minutes=30), "table": "Table 4"}
    assert meeting_revision(unnumbered, {**stored, "sequence": 0}) is None
    later = meeting("m1", "c1", "p1", START + timedelta(hours=1))
    assert meeting_revision(later, {**stored, "sequence": 0})["sequence"] == 1  # type: ignore[index]
