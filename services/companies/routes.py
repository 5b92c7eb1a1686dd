"""HTTP views of the companies service: parse, call one handler, shape the answer."""

from collections.abc import Awaitable, Callable

from aiohttp import web

from services.companies import handlers
from services.companies.keys import COMPANIES
from services.companies.model import (
    Company,
    CompanyNotFound,
    CompanyQuery,
    CompanyView,
    CorporateNumberTaken,
    IllegalTransition,
    ProfileLocked,
    RegisterCompany,
    Registration,
    SuspendCompany,
    UpdateCompany,
)
from shared.auth import PUBLIC, Role, allow
from shared.http.appkeys import KEYS
from shared.http.conditional import etag, expected_version
from shared.http.endpoints import ApiRoutes, Reply, principal_of, trace_of
from shared.http.pagination import Page
from shared.http.problems import Conflict, Forbidden, NotFound
from shared.platform import PLATFORM
from shared.versioning import StaleVersion

api = ApiRoutes(
    "companies",
    errors={
        CompanyNotFound: NotFound,
        StaleVersion: Conflict,
        IllegalTransition: Conflict,
        CorporateNumberTaken: Conflict,
        ProfileLocked: Forbidden,
    },
)
OWN = (Role.COMPANY, "company_id")
READERS = allow(Role.DESK, Role.OPERATOR, Role.ADMIN, Role.COMPANY, owner=OWN)


def _view(request: web.Request, company: Company) -> CompanyView:
    caller = principal_of(request)
    sees_contact = caller.is_staff or caller.acts_for(Role.COMPANY, company.company_id)
    return CompanyView.of(company, with_contact=sees_contact)


def _reply(request: web.Request, company: Company) -> Reply:
    return Reply(_view(request, company), headers={"ETag": etag(company.version)})


async def _registration(
    request: web.Request, handler: Callable[..., Awaitable[tuple[Company, str]]], first: object
) -> Reply:
    """Register (or answer a registration's retry): the company, its key shown once."""
    company, api_key = await handler(
        first,
        platform=request.app[PLATFORM],
        companies=request.app[COMPANIES],
        keys=request.app[KEYS],
        trace=trace_of(request),
    )
    registration = Registration(company=CompanyView.of(company, with_contact=True), api_key=api_key)
    headers = {"Location": f"/companies/{company.company_id}", "ETag": etag(company.version)}
    return Reply(registration, headers=headers)


async def replay_registration(request: web.Request, subject: str) -> Reply:
    return await _registration(request, handlers.reissue_company_key, subject)


@api.post(
    "/companies",
    summary="Register a company (self-service); returns its API key once",
    access=PUBLIC,
    body=RegisterCompany,
    response=Registration,
    status=201,
    problems=(409, 429),
    rate_limited=True,
    replay=replay_registration,
)
async def register_company(request: web.Request, body: RegisterCompany) -> Reply:
    return await _registration(request, handlers.register_company, body)


@api.get(
    "/companies",
    summary="Search companies",
    access=allow(Role.DESK, Role.OPERATOR, Role.ADMIN),
    query=CompanyQuery,
    response=Page[CompanyView],
)
async def list_companies(request: web.Request, query: CompanyQuery) -> Page[CompanyView]:
    page = await handlers.list_companies(query, companies=request.app[COMPANIES])
    return Page(
        items=[_view(request, company) for company in page.items], next_cursor=page.next_cursor
    )


@api.get(
    "/companies/{company_id}",
    summary="Read one company",
    access=READERS,
    response=CompanyView,
    problems=(404,),
)
async def get_company(request: web.Request) -> Reply:
    company_id = request.match_info["company_id"]
    company = await handlers.get_company(company_id, companies=request.app[COMPANIES])
    return _reply(request, company)


@api.patch(
    "/companies/{company_id}",
    summary="Update the company's own profile (If-Match or body version required)",
    access=allow(Role.COMPANY, Role.ADMIN, owner=OWN),
    body=UpdateCompany,
    response=CompanyView,
    problems=(403, 404, 409, 428),
)
async def update_company(request: web.Request, body: UpdateCompany) -> Reply:
    company = await handlers.update_company(
        request.match_info["company_id"],
        body,
        expected_version(request, body.version),
        platform=request.app[PLATFORM],
        companies=request.app[COMPANIES],
        keys=request.app[KEYS],
        trace=trace_of(request),
        by_staff=principal_of(request).is_staff,
    )
    return _reply(request, company)


@api.post(
    "/companies/{company_id}/verify",
    summary="Verify a registered company",
    access=allow(Role.ADMIN),
    response=CompanyView,
    problems=(404, 409),
)
async def verify_company(request: web.Request) -> Reply:
    company = await handlers.verify_company(
        request.match_info["company_id"],
        platform=request.app[PLATFORM],
        companies=request.app[COMPANIES],
        trace=trace_of(request),
    )
    return _reply(request, company)


@api.post(
    "/companies/{company_id}/suspend",
    summary="Suspend a company, with a reason",
    access=allow(Role.ADMIN),
    body=SuspendCompany,
    response=CompanyView,
    problems=(404, 409),
)
async def suspend_company(request: web.Request, body: SuspendCompany) -> Reply:
    company = await handlers.suspend_company(
        request.match_info["company_id"],
        body.reason,
        platform=request.app[PLATFORM],
        companies=request.app[COMPANIES],
        trace=trace_of(request),
    )
    return _reply(request, company)
