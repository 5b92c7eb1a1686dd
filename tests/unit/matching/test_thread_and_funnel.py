"""Who takes part in a match's thread and when it is open; the funnel's period and medians."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.matching.conversation.model import ThreadNotOpen, member_of, readable, writable
from services.matching.model import NotAllowed
from services.matching.reporting.funnel import Journey, ReportQuery, funnel_row
from shared.auth import Principal, Role
from tests.unit.matching.test_match_rules import NOW, WINDOW, answer, match


def caller(role: Role, scope: str | None = None) -> Principal:
    return Principal(key_id="k", role=role, scope=scope)


class TestTheThread:
    def test_the_sides_and_staff_take_part_and_the_desk_does_not(self) -> None:
        both = match().respond("company", answer(), WINDOW).respond("city", answer(), WINDOW)
        assert member_of(both, caller(Role.COMPANY, "c")) == "company"
        assert member_of(both, caller(Role.CITY, "x")) == "city"
        assert member_of(both, caller(Role.OPERATOR)) == "staff"
        with pytest.raises(NotAllowed):
            member_of(both, caller(Role.DESK, "VN"))

    def test_it_opens_with_the_second_acceptance_and_outlives_a_withdrawal_read_only(
        self,
    ) -> None:
        waiting = match().respond("company", answer(), WINDOW)
        for check in (readable, writable):
            with pytest.raises(ThreadNotOpen):
                check(waiting)
        both = waiting.respond("city", answer(), WINDOW)
        writable(both)
        withdrawn = both.model_copy(update={"status": "withdrawn"})
        readable(withdrawn)
        with pytest.raises(ThreadNotOpen):
            writable(withdrawn)


class TestThePeriod:
    def test_a_date_is_its_midnight_in_utc(self) -> None:
        query = ReportQuery.model_validate(
            {"from": "2026-04-01", "to": "2026-05-01T09:00:00+09:00"}
        )
        assert query.start == datetime(2026, 4, 1, tzinfo=UTC)
        assert query.end == datetime(2026, 5, 1, tzinfo=UTC)

    @pytest.mark.parametrize(
        "period",
        [{"from": "0.5"}, {"to": "1700000000"}, {"from": "2026-05-01", "to": "2026-04-01"}],
    )
    def test_numbers_and_a_period_ending_before_it_starts_are_refused(
        self, period: dict[str, str]
    ) -> None:
        with pytest.raises(ValidationError):
            ReportQuery.model_validate(period)

    def test_a_time_counts_in_its_own_zone(self) -> None:
        query = ReportQuery.model_validate({"from": "2026-04-01T00:00:00Z"})
        assert query.start == datetime(2026, 4, 1, tzinfo=UTC)
        tokyo = ReportQuery.model_validate({"from": "2026-04-01T09:00:00+09:00"})
        assert tokyo.start == datetime(2026, 4, 1, tzinfo=UTC)

    @pytest.mark.parametrize("moment", ["2026-04-01T00:00:00", "2026-04-01T09:00", "2026-04-01T"])
    def test_a_time_without_its_zone_is_refused_even_at_midnight(self, moment: str) -> None:
        with pytest.raises(ValidationError, match="with its zone"):
            ReportQuery.model_validate({"from": moment})


class TestMedians:
    def test_each_median_counts_only_the_matches_that_reached_both_steps(self) -> None:
        hour = timedelta(hours=1)
        journeys = [
            Journey("VN", "x", (), NOW, answered_at=NOW + 1 * hour),
            Journey("VN", "x", (), NOW, answered_at=NOW + 3 * hour, mutual_at=NOW + 5 * hour),
            Journey("VN", "x", (), NOW, answered_at=NOW + 8 * hour),
            Journey("VN", "x", (), NOW),
        ]
        row = funnel_row("VN", journeys)
        assert (row.proposed, row.answered, row.mutual, row.met) == (4, 3, 1, 0)
        assert row.median_hours_to_answer == 3.0
        assert row.median_hours_to_mutual == 2.0
        assert row.median_hours_to_meeting is None
