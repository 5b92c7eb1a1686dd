"""Use cases of the conversation: replies, internal notes, waiting, closing, reopening."""

from datetime import datetime, timedelta
from typing import Literal

from services.inquiries.attachments.handlers import Attach
from services.inquiries.desk import Desk
from services.inquiries.handlers import change, get_inquiry, moved_in
from services.inquiries.model import Inquiry, Moved
from services.inquiries.scope import Visibility
from services.inquiries.sla.business_hours import BusinessCalendar
from services.inquiries.views import Message
from shared.contracts.inquiries import InquiryNoted, InquiryReplied, MessageSide
from shared.mongo import new_id
from shared.platform import Trace, unit_of_work


async def post_message(
    inquiry_id: str,
    body: str,
    kind: Literal["reply", "note"],
    side: MessageSide,
    visibility: Visibility,
    *,
    desk: Desk,
    trace: Trace,
    attach: Attach | None = None,
) -> Message:
    """Store the message and move the inquiry (a desk reply answers it) in one transaction;
    ``attach`` refers the message to files uploaded before, in that same transaction."""
    message = Message(
        message_id=new_id(),
        inquiry_id=inquiry_id,
        kind=kind,
        side=side,
        author=trace.actor,
        body=body,
        at=desk.clock(),
    )

    def with_message(current: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
        if kind == "note":
            noted = InquiryNoted(
                inquiry_id=inquiry_id,
                message_id=message.message_id,
                author=trace.actor,
                at=now,
                attachments=message.attachments,
            )
            return current.touched(now), [noted]
        current.require("requester_reply" if side == "requester" else "reply")
        replied = InquiryReplied(**message.model_dump(exclude={"kind"}))
        if side == "requester":
            status = current.open_status if current.status in WAITING else current.status
            inquiry, events = current.moved(status, trace.actor, now, calendar)
            return inquiry, [replied, *events]
        inquiry, events = current.moved("answered", trace.actor, now, calendar)
        inquiry, met = inquiry.stop_clock("first_response", calendar, now, achieved=True)
        if inquiry.first_response_at is None:
            inquiry = inquiry.model_copy(update={"first_response_at": now})
        return inquiry, [replied, *events, *met]

    async with unit_of_work(desk.platform, trace) as uow:
        if attach is not None:
            files = await attach(uow.session, kind, message.message_id)
            message = message.model_copy(update={"attachments": files})
        await moved_in(uow, inquiry_id, visibility, with_message, desk=desk)
        await desk.inquiries.add_message(
            {"_id": message.message_id, **message.model_dump(exclude={"message_id"})}, uow.session
        )
    return message


WAITING = ("answered", "waiting_on_requester")


async def wait_on_requester(
    inquiry_id: str, reason: str | None, visibility: Visibility, *, desk: Desk, trace: Trace
) -> Inquiry:
    def waiting(current: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
        current.waitable()
        return current.moved("waiting_on_requester", trace.actor, now, calendar, reason)

    return await change(inquiry_id, visibility, waiting, desk=desk, trace=trace)


async def close(
    inquiry_id: str, reason: str | None, visibility: Visibility, *, desk: Desk, trace: Trace
) -> Inquiry:
    def closed(current: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
        current.require("close")
        return closed_now(current, calendar, now, trace.actor, reason)

    return await change(inquiry_id, visibility, closed, desk=desk, trace=trace)


def closed_now(
    current: Inquiry,
    calendar: BusinessCalendar,
    now: datetime,
    by: str,
    reason: str | None,
    **changes: object,
) -> Moved:
    """Closing reaches the resolution goal; a first reply never given no longer applies."""
    inquiry, events = current.moved("closed", by, now, calendar, reason, closed_at=now, **changes)
    inquiry, first = inquiry.stop_clock("first_response", calendar, now, achieved=False)
    achieved = "merged_into" not in changes  # a duplicate is resolved by the other inquiry
    inquiry, resolved = inquiry.stop_clock("resolution", calendar, now, achieved=achieved)
    return inquiry, [*events, *first, *resolved]


async def reopen(
    inquiry_id: str, reason: str | None, visibility: Visibility, *, desk: Desk, trace: Trace
) -> Inquiry:
    window = timedelta(days=desk.settings.reopen_window_days)

    def reopened(current: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
        current.reopenable(now, window)
        return current.reopened(trace.actor, now, calendar, reason)

    return await change(inquiry_id, visibility, reopened, desk=desk, trace=trace)


async def messages(inquiry_id: str, visibility: Visibility, *, desk: Desk) -> list[Message]:
    await get_inquiry(inquiry_id, visibility, desk=desk)
    documents = await desk.inquiries.list_messages(inquiry_id, not visibility.is_requester)
    return [Message.model_validate({**doc, "message_id": doc["_id"]}) for doc in documents]
