"""Use cases around the inquiries: the history, the report (the desk's
configuration is in ``configuration.py``)."""

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
    found = await desk.inquiries.reported(country, since, until)
    reopened = await desk.inquiries.reopened_among([inquiry.inquiry_id for inquiry, _ in found])
    calendars = {c: await desk.config.calendar(c) for c in {i.country for i, _ in found}}
    counted = [
        Reported.of(inquiry, tags, inquiry.inquiry_id in reopened, calendars[inquiry.country])
        for inquiry, tags in found
    ]
    return build_report(counted, query, interval, desk.clock())


def _midnight(day: date | None, days_after: int = 0) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=days_after), time(0), UTC)
