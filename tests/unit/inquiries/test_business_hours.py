"""Business time: working days and hours in the desk's zone, holidays skipped."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from pydantic import ValidationError

from services.inquiries.sla.business_hours import BusinessCalendar

HANOI = BusinessCalendar.default_for("VN")
MONDAY_0900 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 in Hanoi (UTC+7)


class TestAdding:
    def test_within_one_day(self) -> None:
        assert HANOI.add(MONDAY_0900, timedelta(hours=3)) == MONDAY_0900 + timedelta(hours=3)

    def test_the_rest_carries_over_to_the_next_opening(self) -> None:
        late = MONDAY_0900 + timedelta(hours=7)  # 16:00
        assert HANOI.add(late, timedelta(hours=2)) == datetime(2026, 3, 3, 3, 0, tzinfo=UTC)

    def test_a_start_at_night_counts_from_the_next_opening(self) -> None:
        night = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 22:00 Monday
        assert HANOI.add(night, timedelta(minutes=30)) == datetime(2026, 3, 3, 2, 30, tzinfo=UTC)

    def test_weekends_and_holidays_are_skipped(self) -> None:
        friday_1630 = datetime(2026, 3, 6, 9, 30, tzinfo=UTC)
        assert HANOI.add(friday_1630, timedelta(hours=1)) == datetime(2026, 3, 9, 2, 30, tzinfo=UTC)
        with_holiday = HANOI.model_copy(update={"holidays": [date(2026, 3, 9)]})
        assert with_holiday.add(friday_1630, timedelta(hours=1)) == datetime(
            2026, 3, 10, 2, 30, tzinfo=UTC
        )

    def test_each_desk_counts_in_its_own_zone(self) -> None:
        jakarta, manila = BusinessCalendar.default_for("ID"), BusinessCalendar.default_for("PH")
        start = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 07:00 Jakarta, 08:00 Manila
        assert jakarta.add(start, timedelta(0)) == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
        assert manila.add(start, timedelta(0)) == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class TestBusinessDaysAfter:
    def test_whole_days_after_the_start_day_skipping_weekends_and_holidays(self) -> None:
        friday_1630 = datetime(2026, 3, 6, 9, 30, tzinfo=UTC)
        tuesday_1700 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
        assert HANOI.business_days_after(friday_1630, 2) == tuesday_1700
        with_holiday = HANOI.model_copy(update={"holidays": [date(2026, 3, 9)]})
        assert with_holiday.business_days_after(friday_1630, 2) == tuesday_1700 + timedelta(days=1)

    def test_a_start_on_a_weekend_counts_from_monday(self) -> None:
        saturday_night = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)
        assert HANOI.business_days_after(saturday_night, 1) == datetime(
            2026, 3, 9, 10, 0, tzinfo=UTC
        )

    def test_a_desk_open_around_the_clock_counts_calendar_days(self) -> None:
        always = HANOI.model_copy(update={"always_open": True})
        assert always.business_days_after(MONDAY_0900, 3) == MONDAY_0900 + timedelta(days=3)


class TestBetween:
    def test_counts_only_open_hours_across_days(self) -> None:
        friday_1600 = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
        monday_1000 = datetime(2026, 3, 9, 3, 0, tzinfo=UTC)
        assert HANOI.between(friday_1600, monday_1000) == timedelta(hours=2)

    def test_is_the_inverse_of_adding(self) -> None:
        end = HANOI.add(MONDAY_0900, timedelta(hours=20))
        assert HANOI.between(MONDAY_0900, end) == timedelta(hours=20)


class TestValidation:
    @pytest.mark.parametrize(
        "fields",
        [
            {"time_zone": "Asia/Nowhere"},
            {"time_zone": "UTC", "working_days": [0, 8]},
            {"time_zone": "UTC", "working_days": []},
            {"time_zone": "UTC", "opens": time(18), "closes": time(9)},
        ],
    )
    def test_impossible_calendars_are_refused(self, fields: dict[str, object]) -> None:
        with pytest.raises(ValidationError):
            BusinessCalendar.model_validate(fields)


class TestWindowsAndAroundTheClock:
    LUNCH = BusinessCalendar(
        time_zone="Asia/Ho_Chi_Minh",
        windows=[{"opens": "13:00", "closes": "17:00"}, {"opens": "08:00", "closes": "12:00"}],
    )

    def test_the_lunch_break_does_not_count(self) -> None:
        eleven = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # Monday 11:00 Hanoi
        assert self.LUNCH.add(eleven, timedelta(hours=2)) == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
        assert self.LUNCH.between(eleven, eleven + timedelta(hours=3)) == timedelta(hours=2)

    def test_windows_are_kept_in_order_and_may_not_overlap(self) -> None:
        assert [w.opens for w in self.LUNCH.windows] == [time(8), time(13)]
        with pytest.raises(ValidationError, match="overlap"):
            BusinessCalendar(
                time_zone="UTC",
                windows=[
                    {"opens": "08:00", "closes": "12:00"},
                    {"opens": "11:00", "closes": "14:00"},
                ],
            )

    def test_the_single_window_form_still_reads(self) -> None:
        calendar = BusinessCalendar.model_validate(
            {"time_zone": "UTC", "opens": "08:30", "closes": "17:30"}
        )
        assert [(w.opens, w.closes) for w in calendar.windows] == [(time(8, 30), time(17, 30))]

    def test_a_desk_open_around_the_clock_counts_every_minute(self) -> None:
        always = BusinessCalendar(time_zone="Asia/Manila", always_open=True)
        saturday_night = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)
        assert always.add(saturday_night, timedelta(hours=30)) == saturday_night + timedelta(
            hours=30
        )
        assert always.between(saturday_night, saturday_night + timedelta(days=2)) == timedelta(
            days=2
        )

    def test_a_folder_of_the_zone_database_is_not_a_time_zone(self) -> None:
        with pytest.raises(ValidationError, match="unknown time zone"):
            BusinessCalendar(time_zone="Asia")
