"""Use cases of the proposals service: plain async functions with keyword dependencies."""

from importlib import resources

from pymongo.asynchronous.client_session import AsyncClientSession

from services.proposals.cities import AddCity, CityExists, CityNotFound, CityQuery, parse_cities
from services.proposals.model import (
    DraftProposal,
    HistoryAction,
    HistoryEntry,
    NotYourCity,
    Proposal,
    ProposalNotFound,
    ProposalQuery,
    UnknownCity,
    UpdateProposal,
    Visibility,
)
from services.proposals.repository import CityRepository, ProposalRepository
from services.proposals.workflow import Action
from shared.auth import Principal, Role
from shared.clock import utc_now
from shared.contracts.proposals import (
    City,
    CityAdded,
    ProposalDrafted,
    ProposalStatusChanged,
    ProposalSubmitted,
    ProposalUpdated,
)
from shared.documents import DocumentStore
from shared.http.pagination import Page, page_of
from shared.mongo import Inserts, new_id
from shared.platform import Platform, Trace, unit_of_work


async def load_reference_cities(
    *, platform: Platform, cities: CityRepository, trace: Trace
) -> list[City]:
    """Add the ASCN cities not stored yet (each with its event); run at every start."""
    text = resources.files("services.proposals").joinpath("data/ascn_cities.csv").read_text()
    try:
        async with unit_of_work(platform, trace) as uow:
            known = await cities.known_ids(uow.session)
            missing = [city for city in parse_cities(text) if city.city_id not in known]
            for city in missing:
                await cities.add(city, trace.by, uow.session)
                added = CityAdded(city=city, by=trace.actor, by_person=trace.by)
                await uow.publish(city.city_id, added)
    except CityExists:
        return []  # another replica loaded them at the same moment
    return missing


async def add_city(
    command: AddCity, *, platform: Platform, cities: CityRepository, trace: Trace
) -> City:
    city = command.city()
    async with unit_of_work(platform, trace) as uow:
        await cities.add(city, trace.by, uow.session)
        await uow.publish(city.city_id, CityAdded(city=city, by=trace.actor, by_person=trace.by))
    return city


async def get_city(city_id: str, *, cities: CityRepository) -> City:
    city = await cities.get(city_id)
    if city is None:
        raise CityNotFound(f"no ASCN city {city_id}")
    return city


async def list_cities(query: CityQuery, *, cities: CityRepository) -> Page[City]:
    found = await cities.search(query, after=query.after)
    return page_of(found, query.limit, lambda city: city.city_id)


async def draft_proposal(
    command: DraftProposal,
    caller: Principal,
    *,
    platform: Platform,
    cities: CityRepository,
    proposals: ProposalRepository,
    trace: Trace,
) -> Proposal:
    if caller.role is Role.CITY and caller.scope != command.city_id:
        raise NotYourCity(
            f"a city key drafts only for its own city, {caller.scope}", field="body.city_id"
        )
    async with unit_of_work(platform, trace) as uow:
        city = await cities.get(command.city_id)  # committed and lasting: no snapshot needed
        if city is None:
            raise UnknownCity(f"no ASCN city {command.city_id!r}", field="body.city_id")
        proposal = Proposal.draft(new_id(), city.country, command)
        await proposals.add(proposal, uow)
        await _record(proposals, proposal, "draft", trace, uow)
        drafted = ProposalDrafted(proposal=proposal.details(), by=trace.actor, by_person=trace.by)
        await uow.publish(proposal.proposal_id, drafted)
    return proposal


async def get_proposal(
    proposal_id: str,
    caller: Principal,
    *,
    proposals: ProposalRepository,
    session: AsyncClientSession | None = None,
) -> Proposal:
    """The proposal, if the caller may see it; one it may not see does not exist for it."""
    proposal = await proposals.get(proposal_id, session)
    if proposal is None or not Visibility.of(caller).admits(proposal):
        raise ProposalNotFound(f"no proposal {proposal_id}")
    return proposal


async def list_proposals(
    query: ProposalQuery, caller: Principal, *, proposals: ProposalRepository
) -> Page[Proposal]:
    found = await proposals.search(query, Visibility.of(caller), after=query.after)
    return page_of(found, query.limit, lambda proposal: proposal.proposal_id)


async def proposal_history(
    proposal_id: str, caller: Principal, *, proposals: ProposalRepository
) -> list[HistoryEntry]:
    await get_proposal(proposal_id, caller, proposals=proposals)
    return await proposals.history_of(proposal_id)


async def update_proposal(
    proposal_id: str,
    update: UpdateProposal,
    expected_version: int | None,
    caller: Principal,
    *,
    platform: Platform,
    proposals: ProposalRepository,
    attachments: DocumentStore,
    trace: Trace,
) -> Proposal:
    async with unit_of_work(platform, trace) as uow:
        current = await get_proposal(proposal_id, caller, proposals=proposals, session=uow.session)
        current.check_version(expected_version)
        wanted = update.changes()
        if update.attachments is not None:
            current.updated({})  # only a draft is edited, before any file is referred to
            infos = await attachments.refer(
                proposal_id, update.attachments, "proposal", uow.session, field="body.attachments"
            )
            wanted["attachments"] = [info.model_dump(mode="json") for info in infos]
        proposal, changes = current.updated(wanted)
        if not changes:
            return current  # nothing differs: no write, no event
        await _release_dropped(current, proposal, attachments, uow.session)
        await proposals.save(proposal, current.version, uow.session)
        await _record(proposals, proposal, "update", trace, uow, changed=sorted(changes))
        event = ProposalUpdated(
            proposal_id=proposal_id, version=proposal.version, changes=changes,
            by=trace.actor, by_person=trace.by,
        )  # fmt: skip
        await uow.publish(proposal_id, event)
    return proposal


async def transition_proposal(
    proposal_id: str,
    action: Action,
    reason: str | None,
    caller: Principal,
    *,
    platform: Platform,
    proposals: ProposalRepository,
    trace: Trace,
) -> Proposal:
    """Take one step of the review workflow: state, history entry and event together."""
    async with unit_of_work(platform, trace) as uow:
        current = await get_proposal(proposal_id, caller, proposals=proposals, session=uow.session)
        proposal = current.transitioned(action)
        await proposals.save(proposal, current.version, uow.session)
        await _record(proposals, proposal, action, trace, uow, previous=current, reason=reason)
        if action == "submit":
            await uow.publish(
                proposal_id,
                ProposalSubmitted(proposal=proposal.details(), by=trace.actor, by_person=trace.by),
            )
        else:
            changed = ProposalStatusChanged(
                proposal_id=proposal_id,
                version=proposal.version,
                from_status=current.status,
                to_status=proposal.status,
                by=trace.actor,
                by_person=trace.by,
                reason=reason,
            )
            await uow.publish(proposal_id, changed)
    return proposal


async def _release_dropped(
    before: Proposal, after: Proposal, attachments: DocumentStore, session: AsyncClientSession
) -> None:
    """Files the draft no longer lists are no longer referred to; the sweeper takes them."""
    kept = {info.attachment_id for info in after.attachments}
    dropped = [info.attachment_id for info in before.attachments if info.attachment_id not in kept]
    await attachments.release(before.proposal_id, dropped, "proposal", session)


async def _record(
    proposals: ProposalRepository,
    proposal: Proposal,
    action: HistoryAction,
    trace: Trace,
    writes: Inserts,
    *,
    previous: Proposal | None = None,
    reason: str | None = None,
    changed: list[str] | None = None,
) -> None:
    entry = HistoryEntry(
        at=utc_now(),
        action=action,
        by=trace.actor,
        by_person=trace.by,
        version=proposal.version,
        from_status=previous.status if previous else None,
        to_status=proposal.status,
        reason=reason,
        changed=changed or [],
    )
    await proposals.record(proposal.proposal_id, entry, writes)
