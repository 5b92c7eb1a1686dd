"""Use cases of the matching service: read models kept from events, and answering matches."""

from datetime import datetime, timedelta

from services.matching.disclosure import MatchView, Viewer, disclose
from services.matching.index.matchmaker import Matchmaker, because
from services.matching.model import (
    ANSWERABLE,
    Accept,
    Decline,
    Match,
    MatchNotFound,
    MatchQuery,
    NotYetOpen,
    Response,
)
from services.matching.readmodel import (
    describe_changes,
    proposal_with_changes,
    was_submitted,
)
from services.matching.repository import IndexClock, MatchRepository, ReadModels, Session
from shared.auth import Principal, Role
from shared.clock import utc_now
from shared.contracts.companies import CompanyProfile, CompanyStatus
from shared.contracts.matching import MatchAccepted, MatchExpired, MatchResponded, MatchSide
from shared.contracts.proposals import ProposalDetails, ProposalStatus
from shared.http.pagination import Page, window
from shared.logs import get_logger
from shared.platform import Platform, Trace, UnitOfWork, unit_of_work

log = get_logger(__name__)


async def company_registered(company: CompanyProfile, uow: UnitOfWork, maker: Matchmaker) -> None:
    await maker.company_changed(company, because(company.company_id, ["company registered"]), uow)


async def company_updated(
    company_id: str, version: int, changes: dict[str, object], uow: UnitOfWork, maker: Matchmaker
) -> None:
    await maker.company_updated(company_id, version, changes, uow)


async def company_status(
    company_id: str, version: int, status: CompanyStatus, uow: UnitOfWork, maker: Matchmaker
) -> None:
    await company_updated(company_id, version, {"status": status}, uow, maker)


async def proposal_published(
    proposal: ProposalDetails, reason: str, uow: UnitOfWork, maker: Matchmaker
) -> None:
    await maker.proposal_changed(proposal, [reason], uow)


async def proposal_updated(
    proposal_id: str, version: int, changes: dict[str, object], uow: UnitOfWork, maker: Matchmaker
) -> None:
    current = await maker.read_models.proposal(proposal_id, uow.session)
    if current is None or current.version >= version:
        log.info("matching.stale_proposal_event", proposal_id=proposal_id, version=version)
        return
    reasons = describe_changes("proposal", current.model_dump(mode="json"), dict(changes))
    proposal = proposal_with_changes(current, version, dict(changes))
    await maker.proposal_changed(proposal, reasons, uow)


async def proposal_status(
    proposal_id: str, version: int, status: ProposalStatus, uow: UnitOfWork, maker: Matchmaker
) -> None:
    await proposal_updated(proposal_id, version, {"status": status}, uow, maker)


async def matches_of_proposal(
    proposal_id: str,
    caller: Principal,
    query: MatchQuery,
    read_models: ReadModels,
    matches: MatchRepository,
) -> Page[MatchView]:
    proposal = await read_models.proposal(proposal_id)
    allowed = proposal is not None and (
        caller.is_staff
        or caller.acts_for(Role.CITY, proposal.city_id)
        or caller.acts_for(Role.DESK, proposal.country)
    )
    # Another city's or country's proposal is the same 404 as none: the proposals service
    # answers so too, and a 403 would confirm that the id exists.
    if proposal is None or not allowed or not was_submitted(proposal):
        raise MatchNotFound(f"no proposal {proposal_id} with matches")
    found = await matches.search({"proposal_id": proposal_id}, query)
    return await _page(found, query, caller, read_models)


async def matches_of_company(
    company_id: str,
    caller: Principal,
    query: MatchQuery,
    read_models: ReadModels,
    matches: MatchRepository,
) -> Page[MatchView]:
    if await read_models.company(company_id) is None:
        raise MatchNotFound(f"no company {company_id} with matches")
    found = await matches.search({"company_id": company_id}, query)
    if not caller.is_staff:  # the company: only what was offered to it
        statuses = await read_models.proposal_statuses({match.proposal_id for match in found})
        found = [match for match in found if match.offered(statuses.get(match.proposal_id))]
    return await _page(found, query, caller, read_models)


async def _page(
    found: list[Match], query: MatchQuery, caller: Principal, read_models: ReadModels
) -> Page[MatchView]:
    # Lists are short (a proposal's top matches), so the cursor is an offset into them.
    page = window(found, query)
    views = await views_of(page.items, caller, read_models)
    return Page(items=views, next_cursor=page.next_cursor)


async def get_match(
    match_id: str, caller: Principal, read_models: ReadModels, matches: MatchRepository
) -> MatchView:
    match, _ = await visible_match(match_id, caller, matches, read_models)
    return await view_of(match, caller, read_models)


async def visible_match(
    match_id: str,
    caller: Principal,
    matches: MatchRepository,
    read_models: ReadModels,
    session: Session = None,
) -> tuple[Match, ProposalDetails | None]:
    """The match and its proposal (read to decide), if the caller may see it
    (``may_see``); else the same 404 whether or not it exists: a status must not reveal a
    pair."""
    match = await matches.get(match_id, session)
    if match is not None:
        proposal = await read_models.proposal(match.proposal_id, session)
        if may_see(match, caller, proposal.status if proposal else None):
            return match, proposal
    raise MatchNotFound(f"no match {match_id}")


def may_see(match: Match, caller: Principal, proposal_status: str | None) -> bool:
    """Staff, the desk of its country, the city, and the company once the match is offered
    to it (``Match.offered``): before, the list is a preview."""
    return (
        caller.is_staff
        or caller.acts_for(Role.DESK, match.country)
        or caller.acts_for(Role.CITY, match.city_id)
        or (caller.acts_for(Role.COMPANY, match.company_id) and match.offered(proposal_status))
    )


async def view_of(match: Match, caller: Principal, read_models: ReadModels) -> MatchView:
    [view] = await views_of([match], caller, read_models)
    return view


async def views_of(
    found: list[Match], caller: Principal, read_models: ReadModels
) -> list[MatchView]:
    """What the caller sees of each match; the parties they name are read once per page."""
    parties = await read_models.parties(
        {match.company_id for match in found}, {match.proposal_id for match in found}
    )
    return [disclose(match, _viewer(match, caller), parties) for match in found]


def _viewer(match: Match, caller: Principal) -> Viewer:
    return Viewer(
        company_side=caller.acts_for(Role.COMPANY, match.company_id),
        city_side=caller.acts_for(Role.CITY, match.city_id),
        staff=caller.is_staff,
    )


async def respond(
    match_id: str,
    caller: Principal,
    accepted: bool,
    body: Accept,
    *,
    platform: Platform,
    matches: MatchRepository,
    read_models: ReadModels,
    clock: IndexClock,
    response_window: timedelta,
    trace: Trace,
) -> MatchView:
    """One side answers for itself; the second acceptance makes the match mutual. Only
    while the proposal is accepted: before that the list is a preview for staff and city."""
    async with unit_of_work(platform, trace) as uow:
        tick = await clock.tick(uow.session)
        match, proposal = await visible_match(match_id, caller, matches, read_models, uow.session)
        side: MatchSide = match.side_of(caller.role, caller.scope)
        proposal_status = proposal.status if proposal else "unknown"
        if proposal_status not in ANSWERABLE:
            raise NotYetOpen(
                f"matches can be answered once the proposal is accepted; it is {proposal_status}",
                proposal_status=proposal_status,
            )
        reason = body.reason if isinstance(body, Decline) else None
        answer = Response(
            accepted=accepted,
            reason=reason,
            message=body.message,
            by=caller.name,
            by_person=trace.by,
            at=utc_now(),
        )
        answered = match.respond(side, answer, response_window)
        await matches.save(answered, uow.session, tick.seq)
        ids = {
            "match_id": match_id,
            "proposal_id": match.proposal_id,
            "company_id": match.company_id,
        }
        await uow.publish(
            match_id,
            MatchResponded(
                **ids,
                side=side,
                accepted=accepted,
                reason=reason,
                message=body.message,
                by=caller.name,
                by_person=trace.by,
            ),
        )
        if answered.status == "accepted":
            await uow.publish(match_id, MatchAccepted(**ids))
    return await view_of(answered, caller, read_models)


async def expire_requests(
    now: datetime,
    *,
    platform: Platform,
    matches: MatchRepository,
    clock: IndexClock,
    trace: Trace,
) -> int:
    """Requests one side accepted and the other left unanswered past their deadline."""
    expired = 0
    for candidate in await matches.waiting_until(now):
        async with unit_of_work(platform, trace) as uow:
            tick = await clock.tick(uow.session)
            match = await matches.get(candidate.match_id, uow.session)
            if match is None or not match.expired(now):
                continue  # answered meanwhile
            lapsed = match.model_copy(
                update={
                    "status": "expired",
                    "rank": 0,
                    "version": match.version + 1,
                    "updated_at": now,
                }
            )
            await matches.save(lapsed, uow.session, tick.seq)
            await uow.publish(
                match.match_id,
                MatchExpired(
                    match_id=match.match_id,
                    proposal_id=match.proposal_id,
                    company_id=match.company_id,
                    waiting_for=match.waiting_for,
                ),
            )
            expired += 1
    return expired
