"""A person leaves a desk: their last key for it was revoked.

As a helpdesk deactivates an agent (Freshdesk, Freshservice: their open tickets go back to
the unassigned queue, the closed ones keep them, and they leave every group; Zendesk takes a
downgraded agent out of their groups too), the desk stops counting on them at once: each
open inquiry of that desk assigned to them goes back to its queue unassigned, and they come
off every queue they may no longer staff, as member and as supervisor. Closed inquiries
keep their officer, and the history keeps everything. A key is only ever issued with its
person's registration, so a revoked grant does not come back to the same person: nothing
here waits for one. Whoever revoked the key is named as having made these changes.
"""

from datetime import datetime

from services.inquiries.administration.configuration import save_queues
from services.inquiries.desk import Desk
from services.inquiries.editing import released
from services.inquiries.handlers import Change, moved_in
from services.inquiries.model import Inquiry, Moved
from services.inquiries.scope import Visibility
from services.inquiries.sla.business_hours import BusinessCalendar
from shared.auth import may_work
from shared.contracts.identity import Actor, ApiKeyRevoked
from shared.logs import get_logger
from shared.platform import Trace, UnitOfWork, unit_of_work

log = get_logger(__name__)

REASON = "its officer no longer holds a key for this desk"
DEPARTURES = "inquiries:departures"


async def key_revoked(revoked: ApiKeyRevoked, uow: UnitOfWork, *, desk: Desk) -> None:
    """Record the revocation in the key replica and release its holder from what they can
    no longer work, in the caller's transaction (a redelivery finds nothing left to do)."""
    await desk.identity.record_revoked(revoked, uow.session)
    person_id = await desk.identity.holder_of(revoked.key_id, uow.session)
    if person_id is not None:
        await _release(person_id, uow, desk)


async def release_the_departed(desk: Desk) -> list[str]:
    """Departures this service never applied, applied at its start: people whose last key
    for a desk was revoked before revocations released anyone still staffed its queues or
    held its open inquiries. Once done, a start finds nobody. The service itself is named
    as having made these changes: who revoked those keys was never recorded here. Answers
    the people released."""
    queues = await desk.config.queues()
    staffing = {person for queue in queues.queues for person in (*queue.members, queue.supervisor)}
    assignments = await desk.inquiries.open_assignments()
    departed = []
    for person_id in sorted({*(p for p in staffing if p), *(p for p, _ in assignments)}):
        if not await desk.identity.has_keys(person_id):
            continue  # their keys have not arrived here yet: nothing says they left
        grants = await desk.identity.grants_of(person_id)
        countries = {country for officer, country in assignments if officer == person_id}
        if queues.without(person_id, grants) != queues or not all(
            may_work(grants, country) for country in countries
        ):
            departed.append(person_id)
    trace = Trace(correlation_id=None, traceparent=None, actor=DEPARTURES)
    for person_id in departed:
        async with unit_of_work(desk.platform, trace) as uow:
            await _release(person_id, uow, desk)
    if departed:
        log.info("inquiries.departures_applied", people=len(departed))
    return departed


async def _release(person_id: str, uow: UnitOfWork, desk: Desk) -> None:
    """Off every queue and every open inquiry their grants no longer let them work."""
    grants = await desk.identity.grants_of(person_id, uow.session)
    queues = await desk.config.queues(uow.session)
    kept = queues.without(person_id, grants)
    if kept != queues:
        await save_queues(desk, uow, kept.model_copy(update={"version": queues.version + 1}))
    unassigned = _unassigned(person_id, grants, uow.trace.by)
    for inquiry_id in await desk.inquiries.open_of(person_id, uow.session):
        await moved_in(uow, inquiry_id, Visibility(), unassigned, desk=desk)


def _unassigned(person_id: str, grants: set[str], by: Actor) -> Change:
    def move(current: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
        if current.officer != person_id or may_work(grants, current.country):
            return current, []  # an inquiry of another desk of theirs: they still work it
        return released(current.touched(now), current.status, by, REASON)

    return move
