"""Use cases of tags: a desk's list, and tagging inquiries with it (each change audited)."""

from datetime import datetime

from services.inquiries.administration.configuration import audit_versioned
from services.inquiries.administration.queues import may_enter, other_desks_refusal
from services.inquiries.desk import Desk
from services.inquiries.handlers import get_inquiry, moved_in
from services.inquiries.model import Inquiry, InvalidChange, Moved
from services.inquiries.scope import Visibility
from services.inquiries.sla.business_hours import BusinessCalendar
from services.inquiries.tags.model import DeskTags, retagged
from services.inquiries.tags.names import TagChange
from shared.platform import Trace, unit_of_work


async def replace_tags(country: str, read: DeskTags, *, desk: Desk, trace: Trace) -> DeskTags:
    """Store the desk's list if nobody changed it since ``read.version``. Inquiries keep a
    tag dropped from the list; it can no longer be added."""
    tags = read.model_copy(update={"version": read.version + 1})
    async with unit_of_work(desk.platform, trace) as uow:
        known = (await desk.config.queues(uow.session)).names
        for index, tag in enumerate(tags.tags):
            if tag.queue is not None and tag.queue not in known:
                raise InvalidChange(
                    f"unknown queue {tag.queue!r}; see GET /queues",
                    field=f"body.tags.{index}.queue",
                )
            if tag.queue is not None and not may_enter(tag.queue, country):
                raise InvalidChange(
                    other_desks_refusal(tag.queue, country), field=f"body.tags.{index}.queue"
                )
        before = await desk.tags.of(country, uow.session)
        saved = await desk.tags.save(country, tags, uow.session)
        await audit_versioned(desk, uow, "tags", country, before, tags, saved)
    return tags


async def retag(
    inquiry_id: str,
    change: TagChange,
    visibility: Visibility,
    *,
    desk: Desk,
    trace: Trace,
    field: str = "body",
) -> Inquiry:
    """Tag and untag one inquiry with tags of its own desk's list."""
    async with unit_of_work(desk.platform, trace) as uow:
        current = await get_inquiry(inquiry_id, visibility, desk=desk, session=uow.session)
        listed = await desk.tags.of(current.country, uow.session)

        def tagged(inquiry: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
            return retagged(inquiry, change, listed, field, trace.by, now)

        inquiry, _ = await moved_in(uow, inquiry_id, visibility, tagged, desk=desk)
    return inquiry
