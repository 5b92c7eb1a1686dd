"""HTTP views of the inquiry lifecycle: parse, call one handler, shape the answer."""

from collections.abc import Awaitable, Callable

from aiohttp import web

from services.inquiries import bulk, editing, handlers
from services.inquiries.commands import (
    Assign,
    BulkChange,
    InquiryQuery,
    LinkTo,
    MergeInto,
    Reason,
    SubmitInquiry,
    UpdateInquiry,
)
from services.inquiries.conversation import messages as conversation
from services.inquiries.conversation import relations
from services.inquiries.keys import DESK
from services.inquiries.model import (
    IllegalTransition,
    Inquiry,
    InquiryNotFound,
    InquiryView,
    InvalidChange,
    StaleVersion,
)
from services.inquiries.references.model import UnresolvedReference
from services.inquiries.scope import Visibility
from services.inquiries.views import BulkResult, BulkResults
from shared.auth import Access, Role, allow
from shared.documents import DOCUMENT_ERRORS
from shared.http.conditional import etag, expected_version
from shared.http.endpoints import ApiRoutes, ErrorMap, Reply, principal_of, trace_of
from shared.http.pagination import Page
from shared.http.problems import Conflict, Forbidden, InvalidReference, NotFound

ERRORS: ErrorMap = {
    InvalidChange: InvalidReference,
    InquiryNotFound: NotFound,
    IllegalTransition: Conflict,
    StaleVersion: Conflict,
    UnresolvedReference: InvalidReference,
    **DOCUMENT_ERRORS,
}
api = ApiRoutes("inquiries", errors=ERRORS)
DESK_SIDE = allow(Role.DESK, Role.OPERATOR, Role.ADMIN)
READERS = allow(Role.DESK, Role.OPERATOR, Role.ADMIN, Role.COMPANY, Role.CITY)
REQUESTER_SIDE = allow(Role.DESK, Role.COMPANY, Role.CITY, Role.ADMIN)
ONE = "/inquiries/{inquiry_id}"
Transition = Callable[..., Awaitable[Inquiry]]


def visibility_of(request: web.Request) -> Visibility:
    return Visibility.of(principal_of(request))


def inquiry_id_of(request: web.Request) -> str:
    return request.match_info["inquiry_id"]


@api.post(
    "/inquiries",
    summary="Submit an inquiry for the desk key's own country",
    access=allow(Role.DESK),
    body=SubmitInquiry,
    response=Inquiry,
    status=201,
)
async def submit_inquiry(request: web.Request, body: SubmitInquiry) -> Reply:
    caller = principal_of(request)
    if body.country != caller.scope:
        raise Forbidden(
            f"a desk:{caller.scope} key submits only {caller.scope} inquiries", field="body.country"
        )
    inquiry = await handlers.submit_inquiry(body, desk=request.app[DESK], trace=trace_of(request))
    return Reply(inquiry, headers={"Location": f"/inquiries/{inquiry.inquiry_id}"})


@api.get(
    "/inquiries",
    summary="Search inquiries: filters, words, SLA state (e.g. ?sla=breached)",
    access=READERS,
    query=InquiryQuery,
    response=Page[InquiryView],
)
async def list_inquiries(request: web.Request, query: InquiryQuery) -> Page[InquiryView]:
    me, visibility = principal_of(request).person_id, visibility_of(request)
    found = await handlers.list_inquiries(query, visibility, desk=request.app[DESK], me=me)
    shown = [InquiryView.of(inquiry, visibility.is_requester) for inquiry in found.items]
    return Page[InquiryView](items=shown, next_cursor=found.next_cursor)


@api.post(
    "/inquiries/bulk",
    summary="Assign, re-prioritise, close or tag many inquiries; each succeeds or fails alone",
    access=DESK_SIDE,
    body=BulkChange,
    response=BulkResults,
)
async def bulk_change(request: web.Request, body: BulkChange) -> BulkResults:
    outcomes = await bulk.apply(
        body, visibility_of(request), desk=request.app[DESK], trace=trace_of(request)
    )
    items = [_result(outcome) for outcome in outcomes]
    succeeded = sum(item.ok for item in items)
    return BulkResults(succeeded=succeeded, failed=len(items) - succeeded, items=items)


def _result(outcome: bulk.Outcome) -> BulkResult:
    """One inquiry's line: its new version, or the status and reason it would have got
    alone (the error map of the single-inquiry endpoints)."""
    if outcome.inquiry is not None:
        return BulkResult(inquiry_id=outcome.inquiry_id, ok=True, version=outcome.inquiry.version)
    if outcome.refused is None:
        detail = "the database did not take the change; try this inquiry again"
        return BulkResult(inquiry_id=outcome.inquiry_id, ok=False, problem=503, detail=detail)
    status = next((ERRORS[k].status for k in type(outcome.refused).__mro__ if k in ERRORS), 422)
    return BulkResult(
        inquiry_id=outcome.inquiry_id, ok=False, problem=status, detail=outcome.refused.detail
    )


@api.get(ONE, summary="Read one inquiry", access=READERS, response=InquiryView, problems=(404,))
async def get_inquiry(request: web.Request) -> Reply:
    visibility = visibility_of(request)
    inquiry = await handlers.get_inquiry(inquiry_id_of(request), visibility, desk=request.app[DESK])
    shown = InquiryView.of(inquiry, visibility.is_requester)
    return Reply(shown, headers={"ETag": etag(inquiry.version)})


@api.patch(
    ONE,
    summary="Correct priority, category, country (staff), city or subject; send If-Match",
    access=DESK_SIDE,
    body=UpdateInquiry,
    response=Inquiry,
    problems=(404, 409, 428),
)
async def update_inquiry(request: web.Request, body: UpdateInquiry) -> Reply:
    if body.country is not None and not principal_of(request).is_staff:
        raise Forbidden("only operators and admins move an inquiry to another desk")
    inquiry = await editing.update(
        inquiry_id_of(request),
        body,
        expected_version(request, None),
        visibility_of(request),
        desk=request.app[DESK],
        trace=trace_of(request),
    )
    return Reply(inquiry, headers={"ETag": etag(inquiry.version)})


@api.post(
    f"{ONE}/assign",
    summary="Re-assign to a queue and/or a named officer",
    access=DESK_SIDE,
    body=Assign,
    response=Inquiry,
    problems=(404, 409),
)
async def assign(request: web.Request, body: Assign) -> Inquiry:
    return await editing.assign(
        inquiry_id_of(request),
        body,
        visibility_of(request),
        desk=request.app[DESK],
        trace=trace_of(request),
    )


def _lifecycle(path: str, summary: str, access: Access, move: Transition) -> None:
    """Register a body-with-reason transition endpoint."""

    async def view(request: web.Request, body: Reason) -> InquiryView:
        visibility = visibility_of(request)
        inquiry = await move(
            inquiry_id_of(request),
            body.reason,
            visibility,
            desk=request.app[DESK],
            trace=trace_of(request),
        )
        return InquiryView.of(inquiry, visibility.is_requester)

    view.__name__ = path.rsplit("/", 1)[-1].replace("-", "_")
    api.post(
        path, summary=summary, access=access, body=Reason, response=InquiryView, problems=(404, 409)
    )(view)


_lifecycle(
    f"{ONE}/wait",
    "Wait on the requester: the SLA clocks pause",
    DESK_SIDE,
    conversation.wait_on_requester,
)
_lifecycle(f"{ONE}/close", "Close the inquiry", DESK_SIDE, conversation.close)
_lifecycle(
    f"{ONE}/reopen",
    "Reopen within the window (requester side)",
    REQUESTER_SIDE,
    conversation.reopen,
)


def _relation(path: str, summary: str, relate: Transition) -> None:
    """Register an endpoint that ties this inquiry to (or from) the one in the body; the
    operation is named after the use case."""

    """Register an endpoint that ties this inquiry to (or from) the one in the body."""

    async def view(request: web.Request, body: LinkTo) -> Inquiry:
        return await relate(
            inquiry_id_of(request),
            body.inquiry_id,
            visibility_of(request),
            desk=request.app[DESK],
            trace=trace_of(request),
        )

    view.__name__ = relate.__name__
    api.post(
        path, summary=summary, access=DESK_SIDE, body=LinkTo, response=Inquiry, problems=(404, 409)
    )(view)


_relation(f"{ONE}/links", "Link a related inquiry (both point at each other)", relations.link)
_relation(f"{ONE}/unlink", "Remove the link to a related inquiry (on both sides)", relations.unlink)


@api.post(
    f"{ONE}/merge",
    summary="Merge this duplicate into another inquiry; it is closed with a pointer",
    access=DESK_SIDE,
    body=MergeInto,
    response=Inquiry,
    problems=(404, 409),
)
async def merge(request: web.Request, body: MergeInto) -> Inquiry:
    return await relations.merge(
        inquiry_id_of(request),
        body.into,
        visibility_of(request),
        desk=request.app[DESK],
        trace=trace_of(request),
    )
