"""The requester's rating of a closed inquiry: once per closure, an event, in the report."""

from datetime import datetime

from services.inquiries.commands import Rate
from services.inquiries.desk import Desk
from services.inquiries.handlers import change
from services.inquiries.model import Inquiry, Moved
from services.inquiries.scope import Visibility
from services.inquiries.sla.business_hours import BusinessCalendar
from shared.platform import Trace


async def rate(
    inquiry_id: str, command: Rate, visibility: Visibility, *, desk: Desk, trace: Trace
) -> Inquiry:
    def rated(current: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
        return current.rated(command.rating, command.comment, trace.by, now)

    return await change(inquiry_id, visibility, rated, desk=desk, trace=trace)
