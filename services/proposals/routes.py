"""HTTP views of the proposals service: parse, call one handler, shape the answer."""

from typing import Any

from aiohttp import web
from pydantic import BaseModel

from services.proposals import handlers
from services.proposals.cities import AddCity, CityExists, CityNotFound, CityQuery
from services.proposals.keys import ATTACHMENTS, CITIES, PROPOSALS
from services.proposals.model import (
    DraftProposal,
    History,
    NotEditable,
    NotYourCity,
    Proposal,
    ProposalNotFound,
    ProposalQuery,
    ProposalView,
    Reason,
    RequiredReason,
    UnknownCity,
    UpdateProposal,
)
from services.proposals.workflow import WORKFLOW, Action, IllegalTransition
from shared.auth import PUBLIC, Access, Role, allow
from shared.contracts.proposals import City
from shared.contracts.vocabulary import taxonomy_document
from shared.documents import DOCUMENT_ERRORS
from shared.http.conditional import etag, expected_version
from shared.http.endpoints import ApiRoutes, ErrorMap, Reply, principal_of, trace_of
from shared.http.pagination import Page
from shared.http.problems import Conflict, Forbidden, InvalidReference, NotFound
from shared.platform import PLATFORM
from shared.versioning import StaleVersion

ERRORS: ErrorMap = {
    ProposalNotFound: NotFound,
    CityNotFound: NotFound,
    StaleVersion: Conflict,
    IllegalTransition: Conflict,
    NotEditable: Conflict,
    CityExists: Conflict,
    NotYourCity: Forbidden,
    UnknownCity: InvalidReference,
    **DOCUMENT_ERRORS,
}
api = ApiRoutes("proposals", errors=ERRORS)
READERS = allow(Role.CITY, Role.DESK, Role.OPERATOR, Role.ADMIN)
# Who may take each step of the review workflow (cities only on their own proposals: one
# they cannot see is a 404 for them).
STEP_ACCESS: dict[Action, tuple[Access, str]] = {
    "submit": (allow(Role.CITY, Role.ADMIN), "Submit a draft for review"),
    "review": (allow(Role.OPERATOR, Role.ADMIN), "Start reviewing a submitted proposal"),
    "accept": (allow(Role.ADMIN), "Accept a proposal under review"),
    "reject": (allow(Role.ADMIN), "Reject a proposal under review, with a reason"),
    "match": (allow(Role.OPERATOR, Role.ADMIN), "Mark an accepted proposal as matched"),
    "close": (allow(Role.CITY, Role.ADMIN), "Close an accepted or matched proposal"),
    "withdraw": (allow(Role.CITY, Role.ADMIN), "Withdraw a proposal before acceptance"),
}


class TaxonomyDocument(BaseModel):
    focus_areas: dict[str, Any]
    stages: list[str]
    financing: list[str]
    inquiry_categories: list[str]


def _reply(proposal: Proposal, status: int | None = None, **headers: str) -> Reply:
    headers["ETag"] = etag(proposal.version)
    return Reply(ProposalView.of(proposal), status=status, headers=headers)


@api.get(
    "/taxonomy",
    summary="Focus areas, solution tags, stages, financing routes",
    access=PUBLIC,
    response=TaxonomyDocument,
)
async def get_taxonomy(request: web.Request) -> TaxonomyDocument:
    return TaxonomyDocument.model_validate(taxonomy_document())


@api.get(
    "/cities",
    summary="List the ASCN pilot cities",
    access=PUBLIC,
    query=CityQuery,
    response=Page[City],
)
async def list_cities(request: web.Request, query: CityQuery) -> Page[City]:
    return await handlers.list_cities(query, cities=request.app[CITIES])


@api.get(
    "/cities/{city_id}", summary="Read one ASCN city", access=PUBLIC, response=City, problems=(404,)
)
async def get_city(request: web.Request) -> City:
    return await handlers.get_city(request.match_info["city_id"], cities=request.app[CITIES])


@api.post(
    "/cities",
    summary="Add a city that joined ASCN",
    access=allow(Role.ADMIN),
    body=AddCity,
    response=City,
    status=201,
    problems=(409,),
)
async def add_city(request: web.Request, body: AddCity) -> Reply:
    city = await handlers.add_city(
        body, platform=request.app[PLATFORM], cities=request.app[CITIES], trace=trace_of(request)
    )
    return Reply(city, headers={"Location": f"/cities/{city.city_id}"})


@api.post(
    "/proposals",
    summary="Draft a proposal (a city for itself, or an admin on a city's behalf)",
    access=allow(Role.CITY, Role.ADMIN),
    body=DraftProposal,
    response=ProposalView,
    status=201,
)
async def draft_proposal(request: web.Request, body: DraftProposal) -> Reply:
    proposal = await handlers.draft_proposal(
        body,
        principal_of(request),
        platform=request.app[PLATFORM],
        cities=request.app[CITIES],
        proposals=request.app[PROPOSALS],
        trace=trace_of(request),
    )
    return _reply(proposal, Location=f"/proposals/{proposal.proposal_id}")


@api.get(
    "/proposals",
    summary="Search the proposals the caller may see",
    access=READERS,
    query=ProposalQuery,
    response=Page[ProposalView],
)
async def list_proposals(request: web.Request, query: ProposalQuery) -> Page[ProposalView]:
    page = await handlers.list_proposals(
        query, principal_of(request), proposals=request.app[PROPOSALS]
    )
    return Page(
        items=[ProposalView.of(proposal) for proposal in page.items], next_cursor=page.next_cursor
    )


@api.get(
    "/proposals/{proposal_id}",
    summary="Read one proposal",
    access=READERS,
    response=ProposalView,
    problems=(404,),
)
async def get_proposal(request: web.Request) -> Reply:
    proposal = await handlers.get_proposal(
        request.match_info["proposal_id"], principal_of(request), proposals=request.app[PROPOSALS]
    )
    return _reply(proposal)


@api.get(
    "/proposals/{proposal_id}/history",
    summary="Every change of a proposal, oldest first",
    access=READERS,
    response=History,
    problems=(404,),
)
async def proposal_history(request: web.Request) -> History:
    proposal_id = request.match_info["proposal_id"]
    entries = await handlers.proposal_history(
        proposal_id, principal_of(request), proposals=request.app[PROPOSALS]
    )
    return History(proposal_id=proposal_id, entries=entries)


@api.patch(
    "/proposals/{proposal_id}",
    summary="Edit a draft (If-Match or body version required)",
    access=allow(Role.CITY, Role.ADMIN),
    body=UpdateProposal,
    response=ProposalView,
    problems=(404, 409, 428),
)
async def update_proposal(request: web.Request, body: UpdateProposal) -> Reply:
    proposal = await handlers.update_proposal(
        request.match_info["proposal_id"],
        body,
        expected_version(request, body.version),
        principal_of(request),
        platform=request.app[PLATFORM],
        proposals=request.app[PROPOSALS],
        attachments=request.app[ATTACHMENTS],
        trace=trace_of(request),
    )
    return _reply(proposal)


def _step_view(action: Action) -> Any:
    async def take_step(request: web.Request, body: Reason) -> Reply:
        proposal = await handlers.transition_proposal(
            request.match_info["proposal_id"],
            action,
            body.reason,
            principal_of(request),
            platform=request.app[PLATFORM],
            proposals=request.app[PROPOSALS],
            trace=trace_of(request),
        )
        return _reply(proposal)

    take_step.__name__ = f"{action}_proposal"
    return take_step


for _action, (_access, _summary) in STEP_ACCESS.items():
    _required = WORKFLOW[_action].reason_required
    api.post(
        f"/proposals/{{proposal_id}}/{_action}",
        summary=_summary,
        access=_access,
        body=RequiredReason if _required else Reason,
        body_optional=not _required,
        response=ProposalView,
        problems=(404, 409),
    )(_step_view(_action))
