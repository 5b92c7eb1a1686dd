"""A desk's business calendar and the arithmetic of business time. Pure: no I/O.

SLA targets count only working time in the receiving desk's own time zone: its working
days, its hours, and not its holidays.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.contracts.vocabulary import CAPITAL_TIME_ZONES

_SEARCH_DAYS = 3 * 366  # no target is longer than this; guards a calendar with no open day


class BusinessCalendar(BaseModel):
    """Working days are ISO weekdays (1 = Monday); hours are local wall-clock times."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "time_zone": "Asia/Ho_Chi_Minh",
                    "working_days": [1, 2, 3, 4, 5],
                    "opens": "08:30",
                    "closes": "17:30",
                    "holidays": ["2027-02-05", "2027-04-30", "2027-05-01"],
                }
            ]
        },
    )

    time_zone: str
    working_days: list[int] = Field(default=[1, 2, 3, 4, 5], min_length=1)
    opens: time = time(9, 0)
    closes: time = time(17, 0)
    holidays: list[date] = Field(default=[], max_length=500)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, KeyError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("working_days")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(day < 1 or day > 7 for day in value) or len(set(value)) != len(value):
            raise ValueError("ISO weekdays 1 (Monday) to 7 (Sunday), each at most once")
        return sorted(value)

    @model_validator(mode="after")
    def _opens_before_closing(self) -> "BusinessCalendar":
        if self.opens >= self.closes:
            raise ValueError("opens must be earlier than closes")
        return self

    @classmethod
    def default_for(cls, country: str) -> "BusinessCalendar":
        return cls(time_zone=CAPITAL_TIME_ZONES.get(country, "UTC"))

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's open hours as aware datetimes, or None on a day off."""
        if day.isoweekday() not in self.working_days or day in self.holidays:
            return None
        zone = ZoneInfo(self.time_zone)
        return datetime.combine(day, self.opens, zone), datetime.combine(day, self.closes, zone)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of business time after ``start`` is used up (UTC)."""
        remaining = duration
        day = start.astimezone(ZoneInfo(self.time_zone)).date()
        for offset in range(_SEARCH_DAYS):
            window = self._window(day + timedelta(days=offset))
            if window is None:
                continue
            begin = max(window[0], start)
            available = window[1] - begin
            if available <= timedelta(0):
                continue
            if remaining <= available:
                return (begin + remaining).astimezone(UTC)
            remaining -= available
        raise ValueError("the calendar has no business time within three years")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time elapsed from ``start`` to ``end``."""
        total = timedelta(0)
        first = start.astimezone(ZoneInfo(self.time_zone)).date()
        last = end.astimezone(ZoneInfo(self.time_zone)).date()
        for offset in range((last - first).days + 1):
            window = self._window(first + timedelta(days=offset))
            if window is not None:
                overlap = min(window[1], end) - max(window[0], start)
                total += max(overlap, timedelta(0))
        return total
