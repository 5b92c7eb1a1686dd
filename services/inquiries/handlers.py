"""Use cases of the inquiry lifecycle: plain async functions with keyword dependencies."""

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from pymongo.errors import PyMongoError

from services.inquiries.commands import InquiryQuery, SubmitInquiry
from services.inquiries.desk import Desk
from services.inquiries.model import Inquiry, InquiryNotFound, InvalidChange, Moved, StaleVersion
from services.inquiries.references.handlers import check_submission, searched_words
from services.inquiries.repository import Session
from services.inquiries.scope import Visibility
from services.inquiries.sla.business_hours import BusinessCalendar
from services.inquiries.sla.clocks import SlaClock
from shared.contracts import EventPayload
from shared.contracts.identity import Actor
from shared.contracts.inquiries import (
    InquiryMerged,
    InquiryPriority,
    InquiryReplied,
    InquirySlaBreached,
    InquirySlaWarning,
    InquiryStatusChanged,
    InquirySubmitted,
    InquiryTriaged,
    SlaClockKind,
)
from shared.http.pagination import Page, page_of
from shared.mongo import Document, new_id
from shared.platform import Trace, UnitOfWork, unit_of_work

Change = Callable[[Inquiry, BusinessCalendar, datetime], Moved]
T = TypeVar("T")
NOTIFIED = (
    InquiryReplied,
    InquiryStatusChanged,
    InquiryMerged,
    InquirySubmitted,
    InquirySlaWarning,
    InquirySlaBreached,
)
"""What webhook subscribers may ask to hear of (each subscription names its events).
Webhooks reach the requester side, so nothing of the internal routing (assignments:
queues, officers); SLA events only reach desk and staff subscriptions."""


async def submit_inquiry(command: SubmitInquiry, *, desk: Desk, trace: Trace) -> Inquiry:
    """Store the inquiry triaged into its queue, with both SLA clocks started."""
    now, inquiry_id, settings = desk.clock(), new_id(), desk.settings
    # Its references, the routing rules and the desk's calendar, read together before the
    # transaction. Read inside it they were no fresher: a transaction reads the snapshot it
    # began with and MongoDB detects only write-write conflicts, so rules saved between
    # that read and the commit never held an inquiry back either. It is routed by the rules
    # in force when it arrived, as if it had committed just before the change. Outside the
    # transaction the three reads also wait for no statement of it.
    rules, calendar, _ = await asyncio.gather(
        desk.config.routing(),
        desk.config.calendar(command.country),
        check_submission(command, desk.references),
    )
    async with unit_of_work(desk.platform, trace) as uow:
        queue, rule = rules.route(command.category, command.country)
        clocks: dict[SlaClockKind, SlaClock] = {}
        events: list[EventPayload] = []
        kinds: tuple[tuple[SlaClockKind, dict[InquiryPriority, int]], ...] = (
            ("first_response", settings.first_response_minutes),
            ("resolution", settings.resolution_minutes),
        )
        for kind, targets in kinds:
            target = targets[command.priority]
            clocks[kind], started = SlaClock.start(
                inquiry_id, kind, target, settings.sla_warning_ratio, calendar, now
            )
            events += started
        inquiry = Inquiry.model_validate(
            {
                **command.model_dump(),
                "inquiry_id": inquiry_id,
                "status": "triaged",
                "queue": queue,
                "clocks": clocks,
                "submitted_by": trace.actor,
                "submitted_by_person": trace.by,
                "submitted_at": now,
                "updated_at": now,
            }
        )
        await desk.inquiries.add(inquiry, uow)
        submitted = InquirySubmitted(inquiry=inquiry.details(), by_person=trace.by)
        triaged = InquiryTriaged(inquiry_id=inquiry_id, queue=queue, rule=rule)
        await emit(desk, uow, inquiry, [submitted, triaged, *events])
    return inquiry


async def get_inquiry(
    inquiry_id: str, visibility: Visibility, *, desk: Desk, session: Session = None
) -> Inquiry:
    inquiry = await desk.inquiries.get(inquiry_id, session)
    if inquiry is None:
        raise InquiryNotFound(f"no inquiry {inquiry_id}")
    return visibility.check(inquiry)


DESK_ONLY_FILTERS = ("tag", "queue", "officer")


async def list_inquiries(
    query: InquiryQuery, visibility: Visibility, *, desk: Desk, me: str | None = None
) -> Page[Inquiry]:
    """``me`` is the caller's person id, for ``?assignee=me``."""
    if visibility.is_requester:
        # What the requester's view leaves out (InquiryView.of) is not found by filtering
        # either: ``?officer=`` would confirm who handles the inquiry, one guess at a time.
        for name in DESK_ONLY_FILTERS:
            if getattr(query, name):
                raise InvalidChange(
                    f"{name} is the desk's own; filter without it", field=f"query.{name}"
                )
    narrowed: dict[str, object] = {"country": visibility.countries_filter(query.country)}
    if query.assignee == "me":
        if me is None:
            raise InvalidChange(
                "this key belongs to no person; ask for a key with jamp people add",
                field="query.assignee",
            )
        narrowed["officer"] = [me]
    query = query.model_copy(update=narrowed)
    words = await searched_words(query.q, desk.references) if query.q else []
    found = await desk.inquiries.search(query, visibility, after=query.after, words=words)
    return page_of(found, query.limit, lambda inquiry: inquiry.inquiry_id)


async def change(
    inquiry_id: str, visibility: Visibility, move: Change, *, desk: Desk, trace: Trace
) -> Inquiry:
    """Read, move, compare-and-set, publish: one transaction for one state change."""
    async with unit_of_work(desk.platform, trace) as uow:
        inquiry, _ = await moved_in(uow, inquiry_id, visibility, move, desk=desk)
    return inquiry


async def moved_in(
    uow: UnitOfWork, inquiry_id: str, visibility: Visibility, move: Change, *, desk: Desk
) -> Moved:
    current = await desk.inquiries.get(inquiry_id, uow.session)
    if current is None:
        raise InquiryNotFound(f"no inquiry {inquiry_id}")
    visibility.check(current)
    calendar = await desk.config.calendar(current.country, uow.session)
    inquiry, events = move(current, calendar, desk.clock())
    if inquiry is current:
        return inquiry, []
    if not await desk.inquiries.save(inquiry, current.version, uow.session):
        raise StaleVersion(
            "the inquiry changed while this request ran; try again", current_version=current.version
        )
    await emit(desk, uow, inquiry, events)
    return inquiry, events


async def retried(operation: Callable[[], Awaitable[T]], attempts: int = 12) -> T:
    """Run an append again when it lost a race: appends commute, so re-reading the inquiry
    and re-applying is right, and a 409 would be a false conflict."""
    for attempt in range(attempts):
        try:
            return await operation()
        except StaleVersion:
            if attempt == attempts - 1:
                raise
        except PyMongoError as error:
            if attempt == attempts - 1 or not error.has_error_label("TransientTransactionError"):
                raise
        await asyncio.sleep(random.uniform(0, 0.01 * 2 ** min(attempt, 5)))
    raise AssertionError("unreachable: the last attempt returns or raises")


async def emit(desk: Desk, uow: UnitOfWork, inquiry: Inquiry, events: list[EventPayload]) -> None:
    """Publish each event, record it in the audit history, and tell webhook subscribers."""
    now = desk.clock()
    entries = []
    for event in events:
        envelope = await uow.publish(inquiry.inquiry_id, event)
        entries.append(
            history_entry(inquiry.inquiry_id, now, uow.trace.by, envelope.type, envelope.data)
        )
        if isinstance(event, NOTIFIED):
            await desk.webhooks.enqueue(inquiry, envelope, now, uow.session)
    await desk.inquiries.record(entries, uow)


def history_entry(
    inquiry_id: str, at: datetime, by: Actor, kind: str, data: dict[str, Any]
) -> Document:
    """An audit entry: the grant that acted and, beside it, the person behind the key."""
    return {
        "_id": new_id(),
        "inquiry_id": inquiry_id,
        "at": at,
        "actor": by.grant,
        "by": by.model_dump(),
        "type": kind,
        "data": data,
    }
