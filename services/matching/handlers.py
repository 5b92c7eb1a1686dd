"""Use cases of the matching service: read models kept from events, and answering matches."""

from datetime import UTC, datetime, timedelta

from services.matching.model import (
    MUTUAL,
    Match,
    MatchNotFound,
    MatchQuery,
    MatchView,
    NotAllowed,
    Response,
)
from services.matching.readmodel import (
    MATCHABLE,
    describe_changes,
    proposal_with_changes,
    was_submitted,
    with_changes,
)
from services.matching.repository import MatchRepository, ReadModels
from services.matching.rescoring import Matchmaker, Reasons
from shared.auth import Principal, Role
from shared.contracts.companies import CompanyProfile, CompanyStatus
from shared.contracts.matching import MatchAccepted, MatchExpired, MatchResponded, MatchSide
from shared.contracts.proposals import ProposalDetails, ProposalStatus
from shared.http.pagination import Page, decode_cursor, encode_cursor
from shared.logs import get_logger
from shared.platform import Platform, Trace, UnitOfWork, unit_of_work

log = get_logger(__name__)


def because(company_id: str, reasons: list[str]) -> Reasons:
    """The event's reasons for the company it is about; others moved with the pool."""
    return lambda other: reasons if other == company_id else ["rescored with the company pool"]


def for_everyone(reasons: list[str]) -> Reasons:
    return lambda _company_id: reasons


async def company_registered(company: CompanyProfile, uow: UnitOfWork, maker: Matchmaker) -> None:
    await maker.read_models.put_company(company, uow.session)
    await maker.rescore_company(
        company.company_id, because(company.company_id, ["company registered"]), uow
    )


async def company_updated(
    company_id: str, version: int, changes: dict[str, object], uow: UnitOfWork, maker: Matchmaker
) -> None:
    current = await maker.read_models.company(company_id, uow.session)
    if current is None or current.version >= version:
        log.info("matching.stale_company_event", company_id=company_id, version=version)
        return
    reasons = describe_changes("company", current.model_dump(mode="json"), dict(changes))
    await maker.read_models.put_company(with_changes(current, version, dict(changes)), uow.session)
    await maker.rescore_company(company_id, because(company_id, reasons), uow)


async def company_status(
    company_id: str, version: int, status: CompanyStatus, uow: UnitOfWork, maker: Matchmaker
) -> None:
    await company_updated(company_id, version, {"status": status}, uow, maker)


async def proposal_published(
    proposal: ProposalDetails, reason: str, uow: UnitOfWork, maker: Matchmaker
) -> None:
    await maker.read_models.put_proposal(proposal, uow.session)
    await _follow_status(proposal, [reason], uow, maker)


async def proposal_updated(
    proposal_id: str, version: int, changes: dict[str, object], uow: UnitOfWork, maker: Matchmaker
) -> None:
    current = await maker.read_models.proposal(proposal_id, uow.session)
    if current is None or current.version >= version:
        log.info("matching.stale_proposal_event", proposal_id=proposal_id, version=version)
        return
    reasons = describe_changes("proposal", current.model_dump(mode="json"), dict(changes))
    proposal = proposal_with_changes(current, version, dict(changes))
    await maker.read_models.put_proposal(proposal, uow.session)
    await _follow_status(proposal, reasons, uow, maker)


async def proposal_status(
    proposal_id: str, version: int, status: ProposalStatus, uow: UnitOfWork, maker: Matchmaker
) -> None:
    await proposal_updated(proposal_id, version, {"status": status}, uow, maker)


async def _follow_status(
    proposal: ProposalDetails, reasons: list[str], uow: UnitOfWork, maker: Matchmaker
) -> None:
    if proposal.status in MATCHABLE:
        await maker.rescore_proposal(proposal, for_everyone(reasons), uow)
    else:
        await maker.close_proposal(proposal.proposal_id, f"proposal {proposal.status}", uow)


async def matches_of_proposal(
    proposal_id: str,
    caller: Principal,
    query: MatchQuery,
    read_models: ReadModels,
    matches: MatchRepository,
) -> Page[MatchView]:
    proposal = await read_models.proposal(proposal_id)
    if proposal is None or not was_submitted(proposal):
        raise MatchNotFound(f"no proposal {proposal_id} with matches")
    allowed = caller.is_staff or caller.acts_for(Role.CITY, proposal.city_id)
    if not (allowed or caller.acts_for(Role.DESK, proposal.country)):
        raise NotAllowed(f"proposal {proposal_id} is not in the caller's scope")
    found = await matches.search({"proposal_id": proposal_id}, query)
    return await _page(found, query, caller, read_models)


async def matches_of_company(
    company_id: str,
    caller: Principal,
    query: MatchQuery,
    read_models: ReadModels,
    matches: MatchRepository,
) -> Page[MatchView]:
    found = await matches.search({"company_id": company_id}, query)
    return await _page(found, query, caller, read_models)


async def _page(
    found: list[Match], query: MatchQuery, caller: Principal, read_models: ReadModels
) -> Page[MatchView]:
    # Lists are short (a proposal's top matches), so the cursor is an offset into them.
    start = int(decode_cursor(query.cursor) or 0)
    items = found[start : start + query.limit]
    more = start + query.limit < len(found)
    views = [await view_of(match, caller, read_models) for match in items]
    return Page(items=views, next_cursor=encode_cursor(str(start + query.limit)) if more else None)


async def get_match(
    match_id: str, caller: Principal, read_models: ReadModels, matches: MatchRepository
) -> MatchView:
    match = await matches.get(match_id)
    if match is None:
        raise MatchNotFound(f"no match {match_id}")
    if not (caller.is_staff or caller.acts_for(Role.DESK, match.country)):
        match.side_of(caller.role, caller.scope)  # raises NotAllowed for strangers
    return await view_of(match, caller, read_models)


async def view_of(match: Match, caller: Principal, read_models: ReadModels) -> MatchView:
    """Contacts only once both sides accepted, and only to the sides themselves and staff."""
    view = MatchView.model_validate(match.model_dump())
    if match.status not in MUTUAL:
        return view
    side_company = caller.acts_for(Role.COMPANY, match.company_id)
    side_city = caller.acts_for(Role.CITY, match.city_id)
    company = await read_models.company(match.company_id)
    proposal = await read_models.proposal(match.proposal_id)
    return view.model_copy(
        update={
            "company_contact": company.contact
            if company and (side_city or caller.is_staff)
            else None,
            "city_contact": proposal.contact
            if proposal and (side_company or caller.is_staff)
            else None,
        }
    )


async def respond(
    match_id: str,
    caller: Principal,
    accepted: bool,
    reason: str | None,
    *,
    platform: Platform,
    matches: MatchRepository,
    read_models: ReadModels,
    response_window: timedelta,
    trace: Trace,
) -> MatchView:
    """One side answers for itself; the second acceptance makes the match mutual."""
    async with unit_of_work(platform, trace) as uow:
        match = await matches.get(match_id, uow.session)
        if match is None:
            raise MatchNotFound(f"no match {match_id}")
        side: MatchSide = match.side_of(caller.role, caller.scope)
        answer = Response(
            accepted=accepted,
            reason=reason,
            by=caller.name,
            by_person=trace.by,
            at=datetime.now(UTC),
        )
        answered = match.respond(side, answer, response_window)
        await matches.save(answered, uow.session)
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
                by=caller.name,
                by_person=trace.by,
            ),
        )
        if answered.status == "accepted":
            await uow.publish(match_id, MatchAccepted(**ids))
    return await view_of(answered, caller, read_models)


async def expire_requests(
    now: datetime, *, platform: Platform, matches: MatchRepository, trace: Trace
) -> int:
    """Requests one side accepted and the other left unanswered past their deadline."""
    expired = 0
    for candidate in await matches.waiting_until(now):
        async with unit_of_work(platform, trace) as uow:
            match = await matches.get(candidate.match_id, uow.session)
            if match is None or not match.expired(now):
                continue  # answered meanwhile
            lapsed = match.model_copy(
                update={"status": "expired", "version": match.version + 1, "updated_at": now}
            )
            await matches.save(lapsed, uow.session)
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
