"""Use cases of the conversation: replies, internal notes, waiting, closing, reopening."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from services.inquiries.attachments.handlers import Attach
from services.inquiries.desk import Desk
from services.inquiries.handlers import change, emit, get_inquiry, moved_in, retried
from services.inquiries.model import Inquiry, Moved
from services.inquiries.scope import Visibility
from services.inquiries.sla.business_hours import BusinessCalendar
from services.inquiries.views import Message
from shared.contracts import EventPayload
from shared.contracts.identity import Actor
from shared.contracts.inquiries import InquiryNoted, InquiryReplied, MessageSide
from shared.mongo import Document, new_id
from shared.platform import Trace, UnitOfWork, unit_of_work


def mailed_reply_text(body: str, files_left_out: Sequence[str]) -> str:
    """A reply by e-mail as the conversation shows it: the desk learns of the files the mail
    carried, which mail does not bring into the inquiry (nothing dropped in silence)."""
    if not files_left_out:
        return body
    names = ", ".join(files_left_out)
    return (
        f"{body}\n\n[Files attached to the e-mail, not added to the inquiry: {names}. "
        "Mail does not carry files in; the requester can upload them.]"
    )


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
    message_id: str | None = None,
    template_id: str | None = None,
) -> Message:
    """Append a message; ``attach`` refers it to files uploaded before, in the same
    transaction. Appends never conflict with each other: a note leaves the inquiry as it
    is, and a reply that lost a race for the inquiry's version is applied again.

    ``message_id`` names a message that comes from elsewhere (a reply by mail, by its
    inbound id): it is added at most once, and a second call answers the stored one."""
    message = Message(
        message_id=message_id or new_id(),
        inquiry_id=inquiry_id,
        kind=kind,
        side=side,
        author=trace.actor,
        by=trace.by,
        body=body,
        at=desk.clock(),
        template_id=template_id,
    )
    if kind == "note":
        return await _append_note(message, visibility, attach, desk=desk, trace=trace)
    return await retried(lambda: _append_reply(message, visibility, attach, desk=desk, trace=trace))


async def _append_note(
    message: Message, visibility: Visibility, attach: Attach | None, *, desk: Desk, trace: Trace
) -> Message:
    async with unit_of_work(desk.platform, trace) as uow:
        if (stored := await _stored(uow, message, desk=desk)) is not None:
            return stored
        inquiry = await get_inquiry(message.inquiry_id, visibility, desk=desk, session=uow.session)
        message = await _attached(uow, message, attach)
        noted = InquiryNoted(
            inquiry_id=inquiry.inquiry_id,
            message_id=message.message_id,
            author=message.author,
            by_person=message.by,
            at=message.at,
            attachments=message.attachments,
        )
        await emit(desk, uow, inquiry, [noted])
        await desk.inquiries.add_message(_document(message), uow.session)
    return message


async def _append_reply(
    message: Message, visibility: Visibility, attach: Attach | None, *, desk: Desk, trace: Trace
) -> Message:
    """Store the reply and move the inquiry (a desk reply answers it) in one transaction."""
    by = trace.by
    async with unit_of_work(desk.platform, trace) as uow:
        if (stored := await _stored(uow, message, desk=desk)) is not None:
            return stored  # already added (a redelivered reply by mail): nothing moves
        message = await _attached(uow, message, attach)
        reply = message

        def with_reply(current: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
            side = reply.side
            replied = _replied(reply)
            if side == "requester":
                current, reopened = _reopened_by_reply(current, calendar, now, by, desk=desk)
                current.require("requester_reply")
                status = current.open_status if current.status in WAITING else current.status
                inquiry, events = current.moved(status, by, now, calendar)
                return inquiry, [*reopened, replied, *events]
            current.require("reply")
            inquiry, events = current.moved("answered", by, now, calendar)
            inquiry, met = inquiry.stop_clock("first_response", calendar, now, achieved=True)
            if inquiry.first_response_at is None:
                inquiry = inquiry.model_copy(update={"first_response_at": now})
            return inquiry, [replied, *events, *met]

        await moved_in(uow, reply.inquiry_id, visibility, with_reply, desk=desk)
        await desk.inquiries.add_message(_document(reply), uow.session)
    return reply


async def notify_requester(
    uow: UnitOfWork, inquiry: Inquiry, body: str, *, desk: Desk
) -> list[EventPayload]:
    """A desk reply the service writes itself (an automatic closure's notice), in the
    caller's transaction: stored, published and mailed like any reply."""
    message = Message(
        message_id=new_id(),
        inquiry_id=inquiry.inquiry_id,
        kind="reply",
        side="desk",
        author=uow.trace.actor,
        by=uow.trace.by,
        body=body,
        at=desk.clock(),
    )
    replied = _replied(message)
    await emit(desk, uow, inquiry, [replied])
    await desk.inquiries.add_message(_document(message), uow.session)
    return [replied]


def _replied(message: Message) -> InquiryReplied:
    return InquiryReplied(**message.model_dump(exclude={"kind", "by"}), by_person=message.by)


def _reopened_by_reply(
    current: Inquiry, calendar: BusinessCalendar, now: datetime, by: Actor, *, desk: Desk
) -> Moved:
    """A requester answering a closed inquiry within the reopen window reopens it."""
    if current.status != "closed":
        return current, []
    current.reopenable(now, timedelta(days=desk.settings.reopen_window_days))
    return current.reopened(by, now, calendar, "the requester replied")


async def _stored(uow: UnitOfWork, message: Message, *, desk: Desk) -> Message | None:
    """The message as stored, if one with its id was added before (read in the same
    transaction as the append, so two deliveries racing each other conflict and the
    retried one finds the first)."""
    document = await desk.inquiries.get_message(message.message_id, uow.session)
    return None if document is None else _message(document)


async def _attached(uow: UnitOfWork, message: Message, attach: Attach | None) -> Message:
    if attach is None:
        return message
    files = await attach(uow.session, message.kind, message.message_id)
    return message.model_copy(update={"attachments": files})


def _document(message: Message) -> Document:
    return {"_id": message.message_id, **message.model_dump(exclude={"message_id"})}


def _message(document: Document, merged_from: str | None = None) -> Message:
    return Message.model_validate(
        {**document, "message_id": document["_id"], "merged_from": merged_from}
    )


WAITING = ("answered", "waiting_on_requester")


async def wait_on_requester(
    inquiry_id: str, reason: str | None, visibility: Visibility, *, desk: Desk, trace: Trace
) -> Inquiry:
    days = desk.settings.auto_close_business_days

    def waiting(current: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
        current.waitable()
        closes = calendar.business_days_after(now, days)
        return current.moved(
            "waiting_on_requester", trace.by, now, calendar, reason, auto_close_at=closes
        )

    return await change(inquiry_id, visibility, waiting, desk=desk, trace=trace)


async def close(
    inquiry_id: str, reason: str | None, visibility: Visibility, *, desk: Desk, trace: Trace
) -> Inquiry:
    def closed(current: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
        current.require("close")
        return closed_now(current, calendar, now, trace.by, reason)

    return await change(inquiry_id, visibility, closed, desk=desk, trace=trace)


def closed_now(
    current: Inquiry,
    calendar: BusinessCalendar,
    now: datetime,
    by: Actor,
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
        return current.reopened(trace.by, now, calendar, reason)

    return await change(inquiry_id, visibility, reopened, desk=desk, trace=trace)


async def messages(inquiry_id: str, visibility: Visibility, *, desk: Desk) -> list[Message]:
    """The conversation, with the messages of merged duplicates marked by their origin."""
    inquiry = await get_inquiry(inquiry_id, visibility, desk=desk)
    documents = await desk.inquiries.list_messages(
        [inquiry_id, *inquiry.merged_from], visibility.reads_notes
    )
    found = []
    for document in documents:
        origin = document["inquiry_id"]
        message = _message(document, None if origin == inquiry_id else origin)
        found.append(message.for_requester() if visibility.is_requester else message)
    return found
