"""Use cases that tie inquiries together: related links, and merging a duplicate."""

from datetime import datetime

from services.inquiries.conversation.messages import closed_now
from services.inquiries.desk import Desk
from services.inquiries.handlers import Change, get_inquiry, history_entry, moved_in
from services.inquiries.model import ALLOWED, IllegalTransition, Inquiry, InvalidChange, Moved
from services.inquiries.scope import Visibility
from services.inquiries.sla.business_hours import BusinessCalendar
from shared.contracts.inquiries import InquiryLinked, InquiryMerged, InquiryUnlinked
from shared.platform import Trace, UnitOfWork, unit_of_work


async def link(
    inquiry_id: str, related_id: str, visibility: Visibility, *, desk: Desk, trace: Trace
) -> Inquiry:
    """Both inquiries point at each other; linking twice changes nothing."""
    _refuse_self(inquiry_id, related_id, "link")
    return await _relink(inquiry_id, related_id, visibility, linked=True, desk=desk, trace=trace)


async def unlink(
    inquiry_id: str, related_id: str, visibility: Visibility, *, desk: Desk, trace: Trace
) -> Inquiry:
    """Neither inquiry points at the other any more; unlinking twice changes nothing."""
    _refuse_self(inquiry_id, related_id, "unlink")
    return await _relink(inquiry_id, related_id, visibility, linked=False, desk=desk, trace=trace)


async def _relink(
    inquiry_id: str,
    related_id: str,
    visibility: Visibility,
    *,
    linked: bool,
    desk: Desk,
    trace: Trace,
) -> Inquiry:
    """Add or remove the symmetric link: one event, from the inquiry asked about, and a
    history entry on each side, all in one transaction."""
    await get_inquiry(related_id, visibility, desk=desk)
    kind = InquiryLinked if linked else InquiryUnlinked

    def relinked(other: str, publish: bool) -> Change:
        def move(current: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
            if (other in current.links) == linked:
                return current, []
            links = [*current.links, other] if linked else [x for x in current.links if x != other]
            inquiry = current.touched(now).model_copy(update={"links": links})
            event = kind(
                inquiry_id=current.inquiry_id, related_id=other, by=trace.actor, by_person=trace.by
            )
            return inquiry, [event] if publish else []

        return move

    async with unit_of_work(desk.platform, trace) as uow:
        inquiry, events = await moved_in(
            uow, inquiry_id, visibility, relinked(related_id, True), desk=desk
        )
        await moved_in(uow, related_id, visibility, relinked(inquiry_id, False), desk=desk)
        if events:
            data = {"inquiry_id": related_id, "related_id": inquiry_id}
            await _recorded_on(uow, related_id, kind.event_type, data, desk=desk)
    return inquiry


async def merge(
    duplicate_id: str, into: str, visibility: Visibility, *, desk: Desk, trace: Trace
) -> Inquiry:
    """Close the duplicate with a pointer to the one kept; both keep their history."""
    _refuse_self(duplicate_id, into, "merge")
    found = await get_inquiry(duplicate_id, visibility, desk=desk)
    _refuse_strangers(found, await get_inquiry(into, visibility, desk=desk))
    # The duplicate's own duplicates come along, so one level of merged_from finds them all.
    earlier = found.merged_from

    def absorb(current: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
        if current.status not in ALLOWED["merge"]:
            raise IllegalTransition(
                f"cannot merge into {into}: it is {current.status}",
                current_status=current.status,
                inquiry_id=into,
            )
        merged_from = [*current.merged_from, duplicate_id, *earlier]
        return current.touched(now).model_copy(update={"merged_from": merged_from}), []

    def duplicate(current: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
        current.require("merge")
        event = InquiryMerged(
            inquiry_id=duplicate_id, into=into, by=trace.actor, by_person=trace.by
        )
        reason = f"duplicate of {into}"
        inquiry, events = closed_now(current, calendar, now, trace.by, reason, merged_into=into)
        return inquiry, [event, *events]

    async with unit_of_work(desk.platform, trace) as uow:
        await moved_in(uow, into, visibility, absorb, desk=desk)
        inquiry, _ = await moved_in(uow, duplicate_id, visibility, duplicate, desk=desk)
        data = {"inquiry_id": duplicate_id, "into": into}
        await _recorded_on(uow, into, InquiryMerged.event_type, data, desk=desk)
    return inquiry


async def _recorded_on(
    uow: UnitOfWork, inquiry_id: str, kind: str, data: dict[str, str], *, desk: Desk
) -> None:
    """The other side's history learns of the change; the event was published once."""
    entry = history_entry(inquiry_id, desk.clock(), uow.trace.by, kind, data)
    await desk.inquiries.record([entry], uow)


def _refuse_strangers(duplicate: Inquiry, kept: Inquiry) -> None:
    """The kept inquiry shows the duplicate's conversation and files to its requester and
    its desk: only one requester's duplicate at one desk may be merged into it."""
    if duplicate.country != kept.country:
        raise InvalidChange(
            f"{kept.inquiry_id} is at desk {kept.country}, the duplicate at {duplicate.country};"
            " move one first",
            field="body.into",
        )
    if duplicate.requester.identity() != kept.requester.identity():
        raise InvalidChange(
            f"{kept.inquiry_id} was asked by another requester: its requester would read this"
            " one's conversation; link them instead",
            field="body.into",
        )


def _refuse_self(inquiry_id: str, other: str, action: str) -> None:
    if inquiry_id == other:
        raise IllegalTransition(f"cannot {action} an inquiry with itself", current_status="any")
