"""Use cases that correct an inquiry: (re)assigning it, and staff edits of its fields.

An officer is a person who holds a grant for the inquiry's desk (``desk:<country>``) or a
staff role; a category or country change runs the routing rules again; a priority change
gives the running clocks the new priority's targets.
"""

from collections.abc import Collection
from datetime import datetime
from typing import Any

from services.inquiries.administration.queues import (
    Queues,
    may_enter,
    other_desks_refusal,
)
from services.inquiries.commands import Assign, UpdateInquiry
from services.inquiries.desk import Desk
from services.inquiries.handlers import change, get_inquiry, moved_in
from services.inquiries.model import Inquiry, InvalidChange, Moved, StaleVersion
from services.inquiries.references.handlers import check_references
from services.inquiries.references.model import Kind, Reference
from services.inquiries.scope import Visibility
from services.inquiries.sla.business_hours import BusinessCalendar
from shared.auth import may_work
from shared.contracts import EventPayload
from shared.contracts.identity import Actor
from shared.contracts.inquiries import (
    InquiryAssigned,
    InquiryStatus,
    InquiryStatusChanged,
    InquiryTriaged,
    InquiryUpdated,
)
from shared.platform import Trace, unit_of_work


async def assign(
    inquiry_id: str, command: Assign, visibility: Visibility, *, desk: Desk, trace: Trace
) -> Inquiry:
    _known_queue(command.queue, await desk.config.queues(), "body.queue")
    officer_name, grants = None, set[str]()
    if command.officer is not None:
        person = await desk.identity.person(command.officer)
        grants = await desk.identity.grants_of(command.officer)
        if person is None or not grants:
            raise InvalidChange(
                f"no person {command.officer!r} holding a key", field="body.officer"
            )
        officer_name = person["name"]

    def assigned(current: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
        current.require("assign")
        if command.officer is not None and not may_work(grants, current.country):
            # By the id the caller gave: the name of another desk's officer is not theirs.
            raise InvalidChange(
                f"{command.officer} holds no grant for desk:{current.country} or a staff role",
                field="body.officer",
            )
        if command.queue is not None and not may_enter(command.queue, current.country):
            raise InvalidChange(
                other_desks_refusal(command.queue, current.country), field="body.queue"
            )
        queue = command.queue or current.queue
        officer, name = current.officer, current.officer_name
        if command.officer is not None or command.unassigns:
            officer, name = command.officer, officer_name
        status: InquiryStatus = current.status
        if officer and current.status in ("triaged", "submitted"):
            status = "assigned"
        elif officer is None and current.status == "assigned":
            status = "triaged"
        inquiry, events = current.moved(
            status, trace.by, now, calendar, queue=queue, officer=officer, officer_name=name
        )
        event = InquiryAssigned(
            inquiry_id=inquiry_id, queue=queue, officer=officer, officer_name=name,
            by=trace.actor, by_person=trace.by,
        )  # fmt: skip
        return inquiry, [event, *events]

    return await change(inquiry_id, visibility, assigned, desk=desk, trace=trace)


async def refresh_officer_names(desk: Desk) -> int:
    """Each inquiry shows its officer's name as the people replica has it now: for names
    changed before ``person.updated`` renamed inquiries too (run at start; a rename since is
    applied as it arrives). Answers how many inquiries changed."""
    renamed = 0
    for known in await desk.identity.list_people():
        renamed += await desk.inquiries.rename_officer(known["_id"], known["name"])
    return renamed


async def update(
    inquiry_id: str,
    command: UpdateInquiry,
    expected: int | None,
    visibility: Visibility,
    *,
    desk: Desk,
    trace: Trace,
) -> Inquiry:
    """Apply the staff's corrections if the inquiry is still at ``expected`` (None: any)."""
    rules = await desk.config.routing()
    wanted = command.changes
    moved_to = await desk.config.calendar(wanted["country"]) if "country" in wanted else None
    officer_grants: set[str] = set()

    def updated(current: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
        current.require("update")
        if expected is not None and current.version != expected:
            raise StaleVersion(
                f"the inquiry is at version {current.version}, not {expected}",
                current_version=current.version,
            )
        before = current.model_dump(include=set(wanted))
        changes = {
            field: {"before": before[field], "after": value}
            for field, value in wanted.items()
            if before[field] != value
        }
        if not changes:
            return current, []
        inquiry = current.touched(now).model_copy(update={f: wanted[f] for f in changes})
        edited = InquiryUpdated(
            inquiry_id=inquiry_id, version=inquiry.version, changes=changes,
            by=trace.actor, by_person=trace.by,
        )  # fmt: skip
        inquiry, events = _consequences(inquiry, changes, calendar, moved_to, now, desk)
        if changes.keys() & {"category", "country"}:
            queue, rule = rules.route(inquiry.category, inquiry.country)
            inquiry = inquiry.model_copy(update={"queue": queue})
            events.append(InquiryTriaged(inquiry_id=inquiry_id, queue=queue, rule=rule))
        if "country" in changes and not may_work(officer_grants, inquiry.country):
            reason = "moved to a desk its officer does not work"
            inquiry, unassigned = released(inquiry, current.status, trace.by, reason)
            events += unassigned
        return inquiry, [edited, *events]

    async with unit_of_work(desk.platform, trace) as uow:
        if wanted.keys() & {"city", "country"}:
            current = await get_inquiry(inquiry_id, visibility, desk=desk, session=uow.session)
            country = wanted.get("country", current.country)
            named = _places(current, wanted)
            await check_references(named, country, desk.references)
            if current.officer is not None:
                officer_grants = await desk.identity.grants_of(current.officer)
        inquiry, _ = await moved_in(uow, inquiry_id, visibility, updated, desk=desk)
    return inquiry


def released(inquiry: Inquiry, was: InquiryStatus, by: Actor, reason: str) -> Moved:
    """The inquiry back in its queue without its officer, who can no longer work it (a
    country change moved it to a desk they hold no grant for, or their key for its desk was
    revoked): they could no longer even read it, so nobody is left waiting on them, as the
    desk's lead would otherwise have to notice and do by hand. ``was``: its status before."""
    if inquiry.officer is None:
        return inquiry, []
    status: InquiryStatus = "triaged" if was == "assigned" else was
    inquiry = inquiry.model_copy(update={"officer": None, "officer_name": None, "status": status})
    unassigned = InquiryAssigned(
        inquiry_id=inquiry.inquiry_id, queue=inquiry.queue, officer=None,
        by=by.grant, by_person=by,
    )  # fmt: skip
    events: list[EventPayload] = [unassigned]
    if status != was:
        events.append(
            InquiryStatusChanged(
                inquiry_id=inquiry.inquiry_id,
                version=inquiry.version,
                from_status=was,
                to_status=status,
                by=by.grant,
                by_person=by,
                reason=reason,
            )
        )
    return inquiry, events


def _places(current: Inquiry, wanted: dict[str, Any]) -> list[Reference]:
    """What must lie in the inquiry's (new) country: its city, a city requester, a
    proposal; a country change that strands one of them is refused by ``body.country``."""
    city = wanted.get("city", current.city)
    named: list[tuple[Kind, str | None, str]] = [
        ("city", city, "body.city" if "city" in wanted else "body.country"),
        ("city", current.requester.city_id, "body.country"),
        ("proposal", current.proposal_id, "body.country"),
    ]
    return [Reference(kind, value, field) for kind, value, field in named if value is not None]


def _consequences(
    inquiry: Inquiry,
    changes: Collection[str],
    calendar: BusinessCalendar,
    moved_to: BusinessCalendar | None,
    now: datetime,
    desk: Desk,
) -> Moved:
    """The clocks after an edit: a new priority's targets, or a new desk's calendar."""
    events = []
    if "priority" in changes:
        targets = {
            "first_response": desk.settings.first_response_minutes[inquiry.priority],
            "resolution": desk.settings.resolution_minutes[inquiry.priority],
        }
        inquiry, retargeted = inquiry.with_clocks(
            lambda clock: clock.retargeted(targets[clock.kind], calendar, now)
        )
        events += retargeted
    if moved_to is not None and "country" in changes:
        inquiry, recalculated = inquiry.with_clocks(
            lambda clock: clock.recalculated(calendar, moved_to, now, "moved to another desk")
        )
        events += recalculated
    return inquiry, events


def _known_queue(queue: str | None, queues: Queues, field: str) -> None:
    if queue is not None and queue not in queues.names:
        raise InvalidChange(f"unknown queue {queue!r}; see GET /queues", field=field)
