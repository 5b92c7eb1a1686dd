"""Placing matches around meetings already placed, the reasons a match stays out, and the
rules a move of one meeting keeps."""

from datetime import UTC, datetime, timedelta

import pytest

from services.matching.model import Match
from services.matching.sessions.model import MatchingSession, Meeting, MeetingChange, Slot
from services.matching.sessions.moves import (
    MeetingClash,
    MeetingClosed,
    OutsideAvailability,
    OutsideSession,
    check_move,
)
from services.matching.sessions.placement import placement, unplaced
from services.matching.sessions.scheduler import schedule

NOW = datetime(2026, 10, 1, tzinfo=UTC)
DAY = datetime(2026, 10, 8, 1, tzinfo=UTC)
HALF = timedelta(minutes=30)


def slot(n: int) -> Slot:
    return Slot(start=DAY + n * HALF, end=DAY + (n + 1) * HALF)


def session(slots: int, tables: list[str], **extra: object) -> MatchingSession:
    return MatchingSession.model_validate(
        {
            "name": "High-level meeting",
            "slots": [slot(n).model_dump() for n in range(slots)],
            "tables": tables,
            "session_id": "s1",
            "cycle": "FY2026",
            "created_by": "admin",
            "created_at": NOW,
            **extra,
        }
    )


def match(key: str, company: str, city: str, score: float = 0.5) -> Match:
    return Match(
        match_id=key, proposal_id=f"p-{city}", company_id=company, company_name=company,
        city_id=city, country="VN", focus_areas=[], tags=[], score=score, rank=1, factors=[],
        version=1, status="accepted", created_at=NOW, updated_at=NOW,
    )  # fmt: skip


def meeting(key: str, company: str, city: str, n: int, table: str) -> Meeting:
    return Meeting(
        meeting_id=f"mt-{key}", session_id="s1", match_id=key, proposal_id=f"p-{city}",
        company_id=company, city_id=city, slot=slot(n), table=table, score=0.5,
    )  # fmt: skip


def busy_of(*meetings: Meeting) -> dict[str, list[tuple[datetime, datetime]]]:
    found: dict[str, list[tuple[datetime, datetime]]] = {}
    for each in meetings:
        for who in (f"company:{each.company_id}", f"city:{each.city_id}"):
            found.setdefault(who, []).append((each.slot.start, each.slot.end))
    return found


class TestLatePlacement:
    def test_a_late_match_takes_a_free_table_and_leaves_placed_meetings_theirs(self) -> None:
        placed = meeting("m1", "c1", "hue", 0, "A")
        found = session(1, ["A", "B"])
        plan = placement(found, [match("m2", "c2", "da-nang")], busy_of(placed), [placed], NOW,
                         late=True)  # fmt: skip
        result = schedule(plan.problem)
        [(slot_index, table)] = result.values()
        assert (slot_index, plan.free[slot_index][table]) == (0, "B")

    def test_placed_meetings_count_against_a_sides_maximum(self) -> None:
        placed = meeting("m1", "c1", "hue", 0, "A")
        found = session(2, ["A"], max_meetings={"company:c1": 1})
        plan = placement(found, [match("m2", "c1", "da-nang")], busy_of(placed), [placed], NOW,
                         late=True)  # fmt: skip
        result = schedule(plan.problem)
        assert result == {}
        [left] = unplaced(plan, result, [])
        assert left.reason == "max_meetings_reached"

    def test_a_started_slot_takes_nobody(self) -> None:
        found = session(2, ["A"])
        plan = placement(found, [match("m1", "c1", "hue")], {}, [], DAY + HALF / 2, late=True)
        assert {key: at[0] for key, at in schedule(plan.problem).items()} == {"m1": 1}
        over = placement(found, [match("m1", "c1", "hue")], {}, [], DAY + 3 * HALF, late=True)
        assert [u.reason for u in unplaced(over, schedule(over.problem), [])] == ["no_slot_left"]


class TestUnplacedReasons:
    @pytest.mark.parametrize(
        ("availability", "tables", "second_city", "reason"),
        [
            ({"company:c2": [1], "city:hue": [0]}, ["A"], "hue", "outside_availability"),
            ({}, ["A", "B"], "hue", "no_free_slot_for_both"),
            ({}, ["A"], "da-nang", "no_free_table"),
        ],
    )
    def test_each_match_left_out_says_why(
        self, availability: dict[str, list[int]], tables: list[str], second_city: str, reason: str
    ) -> None:
        found = session(2 if availability else 1, tables, availability=availability)
        better, worse = match("m1", "c1", "hue", 0.9), match("m2", "c2", second_city, 0.4)
        plan = placement(found, [better, worse], {}, [], NOW, late=False)
        result = schedule(plan.problem)
        assert list(result) == ["m1"]
        [left] = unplaced(plan, result, [])
        assert (left.match_id, left.reason) == ("m2", reason)
        assert left.detail

    def test_a_match_whose_meeting_was_cancelled_here_is_listed_apart(self) -> None:
        plan = placement(session(1, ["A"]), [], {}, [], NOW, late=True)
        [left] = unplaced(plan, {}, [match("m1", "c1", "hue")])
        assert left.reason == "cancelled_in_session"


class TestMoves:
    def setup_method(self) -> None:
        self.found = session(3, ["A", "B"])
        self.mine = meeting("m1", "c1", "hue", 0, "A")

    def test_a_move_within_the_session_to_a_free_time_passes(self) -> None:
        check_move(self.mine, (slot(2), "B"), self.found, [], NOW)
        check_move(self.mine, (slot(2), "https://meet.example.org/r"), self.found, [], NOW)

    @pytest.mark.parametrize(
        ("target", "field"),
        [
            (Slot(start=DAY - HALF, end=DAY), "body.slot.start"),
            (Slot(start=DAY + 2 * HALF, end=DAY + 4 * HALF), "body.slot.end"),
            (Slot(start=NOW - HALF, end=NOW), "body.slot.start"),
        ],
    )
    def test_a_move_outside_the_session_is_refused_naming_the_field(
        self, target: Slot, field: str
    ) -> None:
        with pytest.raises(OutsideSession) as refused:
            check_move(self.mine, (target, "A"), self.found, [], NOW)
        assert refused.value.context["field"] == field

    @pytest.mark.parametrize(
        "table",
        [
            "Z",
            "http://meet.example.org/r",  # a room link goes to both sides: https only
            "https://",
            "https:///r",
            "https://sato:secret@meet.example.org/r",
            "https://meet.example.org/r x",
            "https://[::1/r",
            "meet.example.org/r",
        ],
    )
    def test_a_table_the_session_does_not_have_is_refused(self, table: str) -> None:
        with pytest.raises(OutsideSession) as refused:
            check_move(self.mine, (slot(1), table), self.found, [], NOW)
        assert refused.value.context["field"] == "body.table"

    def test_a_plain_http_room_of_a_session_stored_before_links_were_checked_stays_one(
        self,
    ) -> None:
        found = session(3, ["A", "http://rooms.example.org/1"])
        check_move(self.mine, (slot(2), "http://rooms.example.org/1"), found, [], NOW)

    @pytest.mark.parametrize(
        ("other", "field"),
        [
            (meeting("m2", "c2", "hue", 1, "B"), "body.slot"),  # the city meets c2 then
            (meeting("m3", "c1", "da-nang", 1, "B"), "body.slot"),  # the company, elsewhere
            (meeting("m4", "c4", "da-nang", 1, "A"), "body.table"),  # table A is taken
        ],
    )
    def test_a_move_onto_a_taken_party_or_table_is_a_clash(
        self, other: Meeting, field: str
    ) -> None:
        with pytest.raises(MeetingClash) as clash:
            check_move(self.mine, (slot(1), "A"), self.found, [other], NOW)
        assert clash.value.context["field"] == field
        assert clash.value.context["conflicting_meeting"] == other.meeting_id

    def test_a_move_stays_within_each_sides_declared_slots_unless_they_agreed(self) -> None:
        declared = session(3, ["A", "B"], availability={"company:c1": [0, 1], "city:hue": [0]})
        with pytest.raises(OutsideAvailability) as refused:
            check_move(self.mine, (slot(1), "A"), declared, [], NOW)
        context = refused.value.context
        assert (context["field"], context["party"], context["available_slots"]) == (
            "body.slot", "city", [0],
        )  # fmt: skip
        check_move(self.mine, (slot(1), "A"), declared, [], NOW, party_agreed=True)
        # Adjacent declared slots cover a longer meeting; one reaching past them does not.
        company_only = session(3, ["A"], availability={"company:c1": [0, 1]})
        check_move(self.mine, (Slot(start=DAY, end=DAY + 2 * HALF), "A"), company_only, [], NOW)
        with pytest.raises(OutsideAvailability) as company:
            late = Slot(start=DAY + HALF, end=DAY + 3 * HALF)
            check_move(self.mine, (late, "A"), company_only, [], NOW)
        assert company.value.context["party"] == "company"

    def test_a_cancelled_or_started_meeting_does_not_move(self) -> None:
        change = MeetingChange(kind="cancelled", at=NOW, by="admin")
        with pytest.raises(MeetingClosed):
            check_move(self.mine.cancel("no", change), (slot(1), "A"), self.found, [], NOW)
        with pytest.raises(MeetingClosed):
            check_move(self.mine, (slot(1), "A"), self.found, [], DAY + HALF / 2)

    def test_each_change_raises_the_revision_and_is_kept(self) -> None:
        moved = self.mine.moved(slot(2), "B", MeetingChange(kind="rescheduled", at=NOW, by="a"))
        cancelled = moved.cancel("gone", MeetingChange(kind="cancelled", at=NOW, by="a"))
        assert (moved.sequence, cancelled.sequence) == (1, 2)
        assert [c.kind for c in cancelled.changes] == ["rescheduled", "cancelled"]
        event = cancelled.cancellation()
        assert (event.sequence, event.by, event.reason) == (2, "a", "gone")
