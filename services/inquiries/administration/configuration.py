"""Use cases of the desk's configuration: routing rules, queues, calendars. Every change
is audited: who, when, before and after, as a history entry and an event."""

from datetime import datetime, timedelta

from pydantic import BaseModel

from services.inquiries.administration.config import K, KeptDocuments
from services.inquiries.administration.queues import (
    DESK_QUEUES,
    Queues,
    desk_of,
)
from services.inquiries.administration.routing import RoutingRules
from services.inquiries.desk import Desk
from services.inquiries.handlers import moved_in
from services.inquiries.model import Inquiry, InvalidChange, Moved, StaleVersion
from services.inquiries.scope import Visibility
from services.inquiries.sla.business_hours import BusinessCalendar, NoBusinessTime
from services.inquiries.tags.model import DeskTags
from shared.auth import may_work
from shared.contracts.inquiries import (
    DeskConfigurationChanged,
    DeskSetting,
    QueuesChanged,
    QueueStaffing,
)
from shared.contracts.vocabulary import ASEAN_STATES
from shared.mongo import new_id
from shared.platform import Trace, UnitOfWork, unit_of_work

Versioned = RoutingRules | Queues | DeskTags


async def replace_rules(read: RoutingRules, *, desk: Desk, trace: Trace) -> RoutingRules:
    """Store the rules if nobody changed them since the caller read ``read.version``."""
    rules = read.model_copy(update={"version": read.version + 1})
    async with unit_of_work(desk.platform, trace) as uow:
        known = (await desk.config.queues(uow.session)).names
        for index, rule in enumerate(rules.rules):
            if rule.queue not in known:
                raise InvalidChange(
                    f"unknown queue {rule.queue!r}; see GET /queues",
                    field=f"body.rules.{index}.queue",
                )
        before = await desk.config.routing(uow.session)
        saved = await desk.config.save_routing(rules, uow.session)
        await audit_versioned(desk, uow, "routing_rules", "routing", before, rules, saved)
    return rules


async def replace_queues(read: Queues, *, desk: Desk, trace: Trace) -> Queues:
    """Store the queue list. A queue something still sends inquiries to cannot be dropped:
    a country desk's own (where its unrouted inquiries go), one a routing rule or a desk's
    tag names."""
    queues = read.model_copy(update={"version": read.version + 1})
    async with unit_of_work(desk.platform, trace) as uow:
        for desk_queue in sorted(DESK_QUEUES):
            if desk_queue not in queues.names:
                raise InvalidChange(
                    f"queue {desk_queue!r} is the {DESK_QUEUES[desk_queue]} desk's own",
                    field="body.queues",
                )
        for rule in (await desk.config.routing(uow.session)).rules:
            if rule.queue not in queues.names:
                raise InvalidChange(
                    f"queue {rule.queue!r} is used by routing rule {rule.name!r}",
                    field="body.queues",
                )
        for country in sorted(ASEAN_STATES):
            for tag in (await desk.tags.of(country, uow.session)).tags:
                if tag.queue is not None and tag.queue not in queues.names:
                    raise InvalidChange(
                        f"queue {tag.queue!r} is named by the {country} desk's tag {tag.name!r}",
                        field="body.queues",
                    )
        await _people_hold_keys(queues, desk)
        await save_queues(desk, uow, queues)
    return queues


async def save_queues(desk: Desk, uow: UnitOfWork, queues: Queues) -> None:
    """Store the queue list if it is still at the version before ``queues.version`` (409
    otherwise), audited, and publish it as it now is, typed, for the services that mail or
    route by it."""
    before = await desk.config.queues(uow.session)
    saved = await desk.config.save_queues(queues, uow.session)
    await audit_versioned(desk, uow, "queues", "queues", before, queues, saved)
    staffing = [QueueStaffing(**queue.model_dump()) for queue in queues.queues]
    by = uow.trace.by
    changed = QueuesChanged(queues=staffing, version=queues.version, by=by.grant, by_person=by)
    await uow.publish("queues:queues", changed)


async def _people_hold_keys(queues: Queues, desk: Desk) -> None:
    """A supervisor or member is a person holding a key, and for a country desk's own queue
    a key that may work its inquiries (422 naming the field otherwise): members are mailed
    the queue's new inquiries, and the supervisor is assigned those that breach."""
    for index, queue in enumerate(queues.queues):
        named = [("supervisor", queue.supervisor)] if queue.supervisor else []
        named += [(f"members.{at}", member) for at, member in enumerate(queue.members)]
        country = desk_of(queue.name)
        for field, person_id in named:
            grants = await desk.identity.grants_of(person_id)
            if not grants:
                raise InvalidChange(
                    f"no person {person_id!r} holding a key",
                    field=f"body.queues.{index}.{field}",
                )
            if country is not None and not may_work(grants, country):
                raise InvalidChange(
                    f"{person_id} holds no grant for desk:{country} or a staff role",
                    field=f"body.queues.{index}.{field}",
                )


async def replace_calendar(
    country: str, calendar: BusinessCalendar, *, desk: Desk, trace: Trace
) -> BusinessCalendar:
    """Store the calendar; running SLA deadlines of the country follow it from now on."""
    now = desk.clock()
    _has_business_time(calendar, now, desk)
    async with unit_of_work(desk.platform, trace) as uow:
        before = await desk.config.calendar(country, uow.session)
        await desk.config.save_calendar(country, calendar, uow.session)
        await audit(desk, uow, "calendar", country, before, calendar)

        def recalculated(current: Inquiry, after: BusinessCalendar, at: datetime) -> Moved:
            return current.recalculated(before, after, at)

        for inquiry_id in await desk.inquiries.running_in(country, uow.session):
            await moved_in(uow, inquiry_id, Visibility(), recalculated, desk=desk)
    return calendar


def _has_business_time(calendar: BusinessCalendar, now: datetime, desk: Desk) -> None:
    """Every target of the settings must fit: a calendar that runs out of business time
    would make each later submission of its country fail."""
    targets = [*desk.settings.first_response_minutes.values()]
    targets += desk.settings.resolution_minutes.values()
    try:
        calendar.add(now, timedelta(minutes=max(targets)))
    except NoBusinessTime:
        field = "body.holidays" if calendar.holidays else "body.working_days"
        raise InvalidChange(
            f"the calendar leaves less than {max(targets)} business minutes in three years",
            field=field,
        ) from None


async def audit(
    desk: Desk,
    uow: UnitOfWork,
    setting: DeskSetting,
    key: str,
    before: BaseModel | None,
    after: BaseModel | None,
) -> None:
    """Record who changed a setting (or a template, tag list or view), before and after,
    and publish it, in the change's transaction. None: created, or deleted."""
    by = uow.trace.by
    change = DeskConfigurationChanged(
        setting=setting,
        key=key,
        before=None if before is None else before.model_dump(mode="json"),
        after=None if after is None else after.model_dump(mode="json"),
        by=by.grant,
        by_person=by,
    )
    entry = {"_id": new_id(), "at": desk.clock(), **change.model_dump(mode="json")}
    await desk.config.record_change(entry, uow.session)
    await uow.publish(f"{setting}:{key}", change)


async def audit_versioned(
    desk: Desk,
    uow: UnitOfWork,
    setting: DeskSetting,
    key: str,
    before: Versioned,
    after: Versioned,
    saved: bool,
) -> None:
    """Audit a versioned setting that was saved, or refuse it as stale (409)."""
    if not saved:
        raise StaleVersion(
            f"the {setting.replace('_', ' ')} are at version {before.version}, "
            f"not {after.version - 1}",
            current_version=before.version,
        )
    await audit(desk, uow, setting, key, before, after)


async def keep(
    desk: Desk,
    uow: UnitOfWork,
    setting: DeskSetting,
    documents: KeptDocuments[K],
    before: K | None,
    after: K | None,
) -> None:
    """Write ``after`` over ``before`` (None before: a new one; None after: delete it) and
    audit it; 409 when someone else wrote it since ``before`` was read."""
    kept = after or before
    assert kept is not None  # a change writes or deletes one
    if after is None:
        await documents.delete(documents.key_of(kept), uow.session)
    elif not await documents.put(after, uow.session):
        raise StaleVersion(f"the {setting.replace('_', ' ')} changed meanwhile; try again")
    await audit(desk, uow, setting, documents.key_of(kept), before, after)
