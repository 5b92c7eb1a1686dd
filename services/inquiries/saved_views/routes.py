"""HTTP views of saved views: keep them, list them, run one."""

from aiohttp import web

from services.inquiries.keys import DESK
from services.inquiries.model import InquiryView
from services.inquiries.routes import DESK_SIDE, ERRORS
from services.inquiries.saved_views import handlers as saved
from services.inquiries.saved_views.model import SavedView, SavedViews, ViewNotFound, ViewSpec
from shared.http.endpoints import ApiRoutes, Reply, principal_of, trace_of
from shared.http.pagination import Page, PageQuery
from shared.http.problems import NotFound

views_api = ApiRoutes("saved views", errors={**ERRORS, ViewNotFound: NotFound})
ONE_VIEW = "/views/{view_id}"


def _view_id(request: web.Request) -> str:
    return request.match_info["view_id"]


@views_api.get(
    "/views",
    summary="The built-in views, your own and your desk's shared ones",
    access=DESK_SIDE,
    response=SavedViews,
)
async def list_views(request: web.Request) -> SavedViews:
    found = await saved.views(principal_of(request), desk=request.app[DESK])
    return SavedViews(items=found)


@views_api.post(
    "/views",
    summary="Save a view: named filters and sort, your own or shared with a desk",
    access=DESK_SIDE,
    body=ViewSpec,
    response=SavedView,
    status=201,
)
async def create_view(request: web.Request, body: ViewSpec) -> Reply:
    caller, desk = principal_of(request), request.app[DESK]
    view = await saved.save_view(None, body, caller, desk=desk, trace=trace_of(request))
    return Reply(view, headers={"Location": f"/views/{view.view_id}"})


@views_api.get(
    ONE_VIEW, summary="Read one view", access=DESK_SIDE, response=SavedView, problems=(404,)
)
async def get_view(request: web.Request) -> SavedView:
    return await saved.get_view(_view_id(request), principal_of(request), desk=request.app[DESK])


@views_api.put(
    ONE_VIEW,
    summary="Replace a view you keep",
    access=DESK_SIDE,
    body=ViewSpec,
    response=SavedView,
    problems=(404, 409),
)
async def replace_view(request: web.Request, body: ViewSpec) -> SavedView:
    caller, desk = principal_of(request), request.app[DESK]
    return await saved.save_view(
        _view_id(request), body, caller, desk=desk, trace=trace_of(request)
    )


@views_api.delete(
    ONE_VIEW, summary="Delete a view you keep", access=DESK_SIDE, status=204, problems=(404,)
)
async def delete_view(request: web.Request) -> None:
    caller, desk = principal_of(request), request.app[DESK]
    await saved.delete_view(_view_id(request), caller, desk=desk, trace=trace_of(request))


@views_api.get(
    f"{ONE_VIEW}/inquiries",
    summary="Run a view: its inquiries, within what your key may see",
    access=DESK_SIDE,
    query=PageQuery,
    response=Page[InquiryView],
    problems=(404,),
)
async def view_inquiries(request: web.Request, query: PageQuery) -> Page[InquiryView]:
    found = await saved.run_view(
        _view_id(request), query, principal_of(request), desk=request.app[DESK]
    )
    shown = [InquiryView.of(inquiry, False) for inquiry in found.items]
    return Page[InquiryView](items=shown, next_cursor=found.next_cursor)
