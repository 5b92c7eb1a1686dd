"""A desk's business calendar and the arithmetic of business time. Pure: no I/O.

SLA targets count only working time in the receiving desk's own time zone: its working
days, its opening windows (several a day, e.g. around a lunch break), and not its
holidays; or every minute for a desk open around the clock.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from shared.contracts.vocabulary import CAPITAL_TIME_ZONES, LocalTime
from shared.zones import is_time_zone

SEARCH_DAYS = 3 * 366  # no target is longer than this; guards a calendar with no open day


NOON = time(12)


class NoBusinessTime(ValueError):
    """The calendar has no business time left within the search horizon."""


class Window(BaseModel):
    """One opening of a working day, in local wall-clock time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    opens: LocalTime
    closes: LocalTime

    @model_validator(mode="after")
    def _opens_before_closing(self) -> "Window":
        if self.opens >= self.closes:
            raise ValueError("opens must be earlier than closes")
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("local wall-clock times, without an offset")
        return self


class BusinessCalendar(BaseModel):
    """Working days are ISO weekdays (1 = Monday); windows are local wall-clock times."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "time_zone": "Asia/Ho_Chi_Minh",
                    "working_days": [1, 2, 3, 4, 5],
                    "windows": [
                        {"opens": "08:30", "closes": "12:00"},
                        {"opens": "13:00", "closes": "17:30"},
                    ],
                    "holidays": ["2027-02-05", "2027-04-30", "2027-05-01"],
                }
            ]
        },
    )

    time_zone: str
    always_open: bool = Field(
        default=False, description="A 24/7 desk: every minute counts, days and windows ignored"
    )
    working_days: list[int] = Field(default=[1, 2, 3, 4, 5], min_length=1)
    windows: list[Window] = Field(
        default=[Window(opens=time(9), closes=time(17))], min_length=1, max_length=12
    )
    holidays: list[date] = Field(default=[], max_length=500)
    # The earlier form, still accepted and documented; folded into `windows` (an after-
    # validator: a before-validator would hand the fields Python values, which strict JSON
    # validation refuses for dates and times).
    opens: LocalTime | None = Field(
        default=None, exclude=True, description="Earlier form: one window a day (09:00)"
    )
    closes: LocalTime | None = Field(
        default=None, exclude=True, description="Earlier form: one window a day (17:00)"
    )

    @model_validator(mode="after")
    def _single_window_form(self) -> "BusinessCalendar":
        """``opens``/``closes`` (one window a day) is the earlier form, still accepted."""
        if self.opens is None and self.closes is None:
            return self
        if "windows" in self.model_fields_set:
            raise ValueError("send windows, or opens and closes, not both")
        opens, closes = self.opens or time(9), self.closes or time(17)
        if opens >= closes:
            raise _window_refused(self.opens, self.closes)
        window = Window(opens=opens, closes=closes)
        object.__setattr__(self, "windows", [window])  # frozen: set once, while validating
        return self

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_time_zone(value):
            raise ValueError(f"unknown time zone {value!r}; an IANA name such as Asia/Bangkok")
        return value

    @field_validator("working_days")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(day < 1 or day > 7 for day in value) or len(set(value)) != len(value):
            raise ValueError("ISO weekdays 1 (Monday) to 7 (Sunday), each at most once")
        return sorted(value)

    @field_validator("windows")
    @classmethod
    def _apart(cls, value: list[Window]) -> list[Window]:
        ordered = sorted(value, key=lambda window: window.opens)
        for earlier, later in pairwise(ordered):
            if later.opens < earlier.closes:
                raise ValueError(f"windows overlap: {earlier.closes} is after {later.opens}")
        return ordered

    @field_validator("holidays")
    @classmethod
    def _distinct(cls, value: list[date]) -> list[date]:
        return sorted(set(value))

    @classmethod
    def default_for(cls, country: str) -> "BusinessCalendar":
        return cls(time_zone=CAPITAL_TIME_ZONES.get(country, "UTC"))

    def open_spans(self, start: datetime, days: int) -> Iterator[tuple[datetime, datetime]]:
        """Business spans (UTC, in order) of ``days`` local days from ``start``'s day."""
        zone = ZoneInfo(self.time_zone)
        first = start.astimezone(zone).date()
        if self.always_open:
            midnight = datetime.combine(first, time(0), zone).astimezone(UTC)
            yield midnight, midnight + timedelta(days=days + 1)
            return
        for offset in range(days):
            day = first + timedelta(days=offset)
            if day.isoweekday() not in self.working_days or day in self.holidays:
                continue
            for window in self.windows:
                opens = datetime.combine(day, window.opens, zone).astimezone(UTC)
                closes = datetime.combine(day, window.closes, zone).astimezone(UTC)
                if closes > opens:  # a window swallowed by a DST gap has no length
                    yield opens, closes

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of business time after ``start`` is used up (UTC)."""
        remaining = duration
        for opens, closes in self.open_spans(start, SEARCH_DAYS):
            begin = max(opens, start)
            available = closes - begin
            if available <= timedelta(0):
                continue
            if remaining <= available:
                return (begin + remaining).astimezone(UTC)
            remaining -= available
        raise NoBusinessTime("the calendar has no business time within three years")

    def business_days_after(self, start: datetime, days: int) -> datetime:
        """The close of the ``days``-th business day after ``start``'s own local day (UTC):
        waiting "N business days" gives the requester whole days, whatever the hour."""
        if self.always_open:
            return (start + timedelta(days=days)).astimezone(UTC)
        zone = ZoneInfo(self.time_zone)
        today = start.astimezone(zone).date()
        counted = 0
        for offset in range(1, SEARCH_DAYS):
            # Noon is inside the local day whatever a DST change does to its midnight.
            spans = list(
                self.open_spans(datetime.combine(today + timedelta(offset), NOON, zone), 1)
            )
            counted += bool(spans)
            if counted == days:
                return spans[-1][1]
        raise NoBusinessTime("the calendar has no business time within three years")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time elapsed from ``start`` to ``end``."""
        total = timedelta(0)
        if end <= start:
            return total
        days = (end - start).days + 3  # local dates on both ends of the span
        for opens, closes in self.open_spans(start - timedelta(days=1), days):
            if opens >= end:
                break
            total += max(min(closes, end) - max(opens, start), timedelta(0))
        return total


def _window_refused(opens: time | None, closes: time | None) -> ValidationError:
    """Names the field sent against the other's default, or ``closes`` when both were sent
    (the end that comes too early), as a field's own validator would; a ValueError here
    would name only the calendar."""
    if closes is None:
        field, value, message = "opens", opens, "must be earlier than 17:00 (the default closes)"
    elif opens is None:
        field, value, message = "closes", closes, "must be later than 09:00 (the default opens)"
    else:
        field, value, message = "closes", closes, f"must be later than opens ({opens:%H:%M})"
    error = PydanticCustomError("window_order", message)
    return ValidationError.from_exception_data(
        "BusinessCalendar", [InitErrorDetails(type=error, loc=(field,), input=str(value))]
    )
