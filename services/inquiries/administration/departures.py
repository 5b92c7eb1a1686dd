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
from shared.platform import UnitOfWork

REASON = "its officer no longer holds a key for this desk"


async def key_revoked(revoked: ApiKeyRevoked, uow: UnitOfWork, *, desk: Desk) -> None:
    """Record the revocation in the key replica and release its holder from what they can
    no longer work, in the caller's transaction (a redelivery finds nothing left to do)."""
    await desk.identity.record_revoked(revoked, uow.session)
    person_id = await desk.identity.holder_of(revoked.key_id, uow.session)
    if person_id is None:
        return
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
