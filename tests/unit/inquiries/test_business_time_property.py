"""The business-time arithmetic holds against a minute-by-minute reference (hypothesis).

The reference knows nothing of spans or UTC conversions: it looks at each minute's local
wall-clock time and asks whether the desk is open then.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.inquiries.sla.business_hours import BusinessCalendar, Window

ZONES = ["Asia/Ho_Chi_Minh", "Asia/Tokyo", "Asia/Kathmandu", "UTC", "Europe/Berlin"]
EPOCH = datetime(2026, 3, 20, tzinfo=UTC)  # a week before Berlin's spring DST change
MINUTE = timedelta(minutes=1)


def _open_at(calendar: BusinessCalendar, moment: datetime) -> bool:
    if calendar.always_open:
        return True
    local = moment.astimezone(ZoneInfo(calendar.time_zone))
    if local.isoweekday() not in calendar.working_days or local.date() in calendar.holidays:
        return False
    wall = local.time().replace(tzinfo=None)
    return any(window.opens <= wall < window.closes for window in calendar.windows)


def _reference_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    minutes, moment = 0, start
    while moment < end:
        minutes += _open_at(calendar, moment)
        moment += MINUTE
    return minutes


def _reference_add(calendar: BusinessCalendar, start: datetime, minutes: int) -> datetime:
    moment = start
    while True:
        if _open_at(calendar, moment):
            minutes -= 1
            if minutes == 0:
                return moment + MINUTE
        moment += MINUTE


@st.composite
def windows(draw: st.DrawFn) -> list[Window]:
    """One to three disjoint windows of whole quarter hours (a lunch break, a late shift)."""
    edges = sorted(draw(st.sets(st.integers(0, 95), min_size=2, max_size=6)))
    if len(edges) % 2:
        edges = edges[:-1]
    quarter = [time(edge // 4, edge % 4 * 15) for edge in edges]
    return [Window(opens=a, closes=b) for a, b in zip(quarter[::2], quarter[1::2], strict=True)]


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    days = draw(st.sets(st.integers(1, 7), min_size=1))
    holidays = draw(st.lists(st.integers(0, 20), max_size=4))
    return BusinessCalendar(
        time_zone=draw(st.sampled_from(ZONES)),
        always_open=draw(st.integers(0, 4)) == 0,  # one in five desks runs 24/7
        working_days=sorted(days),
        windows=draw(windows()),
        holidays=[date(2026, 3, 20) + timedelta(days=offset) for offset in holidays],
    )


moments = st.integers(0, 14 * 24 * 60).map(lambda minutes: EPOCH + minutes * MINUTE)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(calendars(), moments, st.integers(0, 4 * 24 * 60))
def test_between_counts_exactly_the_open_minutes(
    calendar: BusinessCalendar, start: datetime, length: int
) -> None:
    end = start + length * MINUTE
    expected = _reference_between(calendar, start, end)
    assert calendar.between(start, end) == expected * MINUTE


@FAST
@given(calendars(), moments, st.integers(1, 8 * 60))
def test_adding_ends_with_the_minute_that_uses_the_target_up(
    calendar: BusinessCalendar, start: datetime, minutes: int
) -> None:
    deadline = calendar.add(start, minutes * MINUTE)
    assert deadline == _reference_add(calendar, start, minutes)
    assert calendar.between(start, deadline) == minutes * MINUTE
