"""Use cases around the inquiries: the history, the report (the desk's
configuration is in ``configuration.py``)."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from services.inquiries.administration.report import (
    Interval,
    Report,
    Reported,
    ReportQuery,
    build_report,
)
from services.inquiries.desk import Desk
from services.inquiries.handlers import get_inquiry
from services.inquiries.scope import Visibility
from services.inquiries.sla.business_hours import BusinessCalendar
from services.inquiries.views import HistoryEntry


async def history(inquiry_id: str, visibility: Visibility, *, desk: Desk) -> list[HistoryEntry]:
    await get_inquiry(inquiry_id, visibility, desk=desk)
    entries = await desk.inquiries.list_history(inquiry_id)
    return [HistoryEntry.model_validate(entry) for entry in entries]


async def report(
    query: ReportQuery, interval: Interval, visibility: Visibility, *, desk: Desk
) -> Report:
    """A desk reports on its own country; times count in each country's own calendar."""
    country = visibility.country_filter(query.country)
    since, until = _midnight(query.from_), _midnight(query.to, days_after=1)
    # Each inquiry is read into what the report counts as it arrives: the whole inquiries
    # of a long period were held at once before.
    calendars: dict[str, BusinessCalendar] = {}
    counted: list[Reported] = []
    async for inquiry, tags in desk.inquiries.reported(country, since, until):
        calendar = calendars.get(inquiry.country)
        if calendar is None:
            calendar = calendars[inquiry.country] = await desk.config.calendar(inquiry.country)
        counted.append(Reported.of(inquiry, tags, False, calendar))
    reopened = await desk.inquiries.reopened_among([reported.inquiry_id for reported in counted])
    counted = [replace(r, reopened=True) if r.inquiry_id in reopened else r for r in counted]
    return build_report(counted, query, interval, desk.clock())


def _midnight(day: date | None, days_after: int = 0) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=days_after), time(0), UTC)
