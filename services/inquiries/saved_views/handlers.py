"""Use cases of saved views: keep them (audited), list them, and run one with the
caller's own scope.

A person's own view is theirs alone, whichever of their keys they use. A shared view
belongs to one desk: its staff (desk keys of the country, operators, admins) read it;
admins and the supervisor of the desk's queue (``desk-<country>``) keep it.
"""

from zoneinfo import ZoneInfo

from services.inquiries.administration.configuration import keep
from services.inquiries.administration.queues import country_desk
from services.inquiries.commands import InquiryQuery
from services.inquiries.desk import Desk
from services.inquiries.handlers import list_inquiries
from services.inquiries.model import Inquiry, InvalidChange
from services.inquiries.repository import Session
from services.inquiries.saved_views.model import (
    BUILT_IN,
    SavedView,
    Situation,
    ViewNotFound,
    ViewSpec,
    built_in,
    end_of_day,
)
from services.inquiries.scope import Visibility
from shared.auth import Principal, Role
from shared.http.pagination import Page, PageQuery
from shared.http.problems import Forbidden
from shared.mongo import new_id
from shared.platform import Trace, unit_of_work


async def views(caller: Principal, *, desk: Desk) -> list[SavedView]:
    """The built-in views, then the caller's own and their desk's shared ones."""
    situation = await _situation(caller, desk=desk)
    desks = None if caller.is_staff else [caller.scope or ""]
    stored = await desk.views.visible_to(caller.person_id, desks)
    return [*(built_in(view_id, situation) for view_id in BUILT_IN), *stored]  # type: ignore[arg-type]


async def get_view(
    view_id: str, caller: Principal, *, desk: Desk, session: Session = None
) -> SavedView:
    if view_id in BUILT_IN:
        return built_in(view_id, await _situation(caller, desk=desk))  # type: ignore[arg-type]
    view = await desk.views.get(view_id, session)
    if view is None or not _reads(view, caller):
        raise ViewNotFound(f"no view {view_id}")
    return view


def _reads(view: SavedView, caller: Principal) -> bool:
    if not view.shared:
        return caller.person_id is not None and view.owner == caller.person_id
    return caller.is_staff or caller.acts_for(Role.DESK, view.country or "")


async def run_view(
    view_id: str, page: PageQuery, caller: Principal, *, desk: Desk
) -> Page[Inquiry]:
    """The view's filters, run as the caller: the view narrows, the key's scope still holds."""
    view = await get_view(view_id, caller, desk=desk)
    if view.view_id == "unassigned-in-my-queues" and not view.filters.queue:
        return Page[Inquiry](items=[], next_cursor=None)  # in no queue: none of them is mine
    query = InquiryQuery(**view.filters.model_dump(), limit=page.limit, cursor=page.cursor)
    return await list_inquiries(query, Visibility.of(caller), desk=desk, me=caller.person_id)


async def save_view(
    view_id: str | None, spec: ViewSpec, caller: Principal, *, desk: Desk, trace: Trace
) -> SavedView:
    """Create (no id) or replace a view the caller keeps."""
    if view_id in BUILT_IN:
        raise Forbidden("the built-in views cannot be changed; save a view of your own")
    spec = await _kept_by(spec, caller, desk=desk)
    async with unit_of_work(desk.platform, trace) as uow:
        before = None
        if view_id is not None:
            before = await get_view(view_id, caller, desk=desk, session=uow.session)
            await _kept_by(before, caller, desk=desk)
        view = SavedView(
            **spec.model_dump(),
            view_id=view_id or new_id(),
            owner=None if spec.shared else caller.person_id,
            version=1 if before is None else before.version + 1,
            updated_at=desk.clock(),
            updated_by=trace.actor,
            updated_by_person=trace.by,
        )
        await keep(desk, uow, "view", desk.views, before, view)
    return view


async def delete_view(view_id: str, caller: Principal, *, desk: Desk, trace: Trace) -> None:
    if view_id in BUILT_IN:
        raise Forbidden("the built-in views cannot be deleted")
    async with unit_of_work(desk.platform, trace) as uow:
        before = await get_view(view_id, caller, desk=desk, session=uow.session)
        await _kept_by(before, caller, desk=desk)
        await keep(desk, uow, "view", desk.views, before, None)


async def _kept_by(spec: ViewSpec, caller: Principal, *, desk: Desk) -> ViewSpec:
    """A person keeps their own views; a shared one is kept by admins and the supervisor
    of its desk's queue. A desk key's shared view is its own desk's."""
    if not spec.shared:
        if caller.person_id is None:
            raise InvalidChange(
                "this key belongs to no person, so it keeps no views of its own; "
                "ask for a key with jamp people add, or share the view",
                field="body.shared",
            )
        if spec.country is not None:
            raise InvalidChange("only a shared view belongs to a desk", field="body.country")
        return spec
    if caller.role is Role.DESK:
        if spec.country not in (None, caller.scope):
            raise Forbidden(
                f"a desk:{caller.scope} key shares views only with {caller.scope}",
                field="body.country",
            )
        spec = spec.model_copy(update={"country": caller.scope})
    if spec.country is None:
        raise InvalidChange(
            "a shared view belongs to a desk: name its country", field="body.country"
        )
    if caller.role is not Role.ADMIN and not await _supervises(caller, spec.country, desk=desk):
        raise Forbidden(
            f"shared views of the {spec.country} desk are kept by admins and the supervisor "
            f"of queue {country_desk(spec.country)}"
        )
    return spec


async def _supervises(caller: Principal, country: str, *, desk: Desk) -> bool:
    queue = (await desk.config.queues()).get(country_desk(country))
    return (
        caller.acts_for(Role.DESK, country)
        and caller.person_id is not None
        and queue is not None
        and queue.supervisor == caller.person_id
    )


async def _situation(caller: Principal, *, desk: Desk) -> Situation:
    """The caller's queues (where they are a member) and the end of their day: in their own
    time zone, else their desk's, else UTC."""
    queues = (await desk.config.queues()).queues
    mine = [q.name for q in queues if caller.person_id and caller.person_id in q.members]
    zone = "UTC"
    person = None if caller.person_id is None else await desk.identity.person(caller.person_id)
    if person is not None and person.get("time_zone"):
        zone = person["time_zone"]
    elif caller.role is Role.DESK and caller.scope is not None:
        zone = (await desk.config.calendar(caller.scope)).time_zone
    return Situation(my_queues=mine, today_ends=end_of_day(desk.clock(), ZoneInfo(zone)))
