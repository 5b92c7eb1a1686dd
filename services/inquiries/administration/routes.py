"""HTTP views around the inquiries: history, suggestions, report."""

from aiohttp import web

from services.inquiries import handlers
from services.inquiries.administration import handlers as administration
from services.inquiries.administration.report import Report, ReportQuery, ReportRow, report_columns
from services.inquiries.keys import DESK
from services.inquiries.model import InquiryNotFound, InvalidChange, StaleVersion
from services.inquiries.routes import DESK_SIDE, READERS, inquiry_id_of, visibility_of
from services.inquiries.views import History, Suggestions
from shared.auth import Role, allow
from shared.http.endpoints import ApiRoutes
from shared.http.problems import (
    Conflict,
    InvalidReference,
    NotFound,
)
from shared.http.tabular import csv_response, wants_csv

desk_api = ApiRoutes(
    "inquiry desk",
    errors={
        InquiryNotFound: NotFound,
        StaleVersion: Conflict,
        InvalidChange: InvalidReference,
    },
)
ADMIN = allow(Role.ADMIN)


@desk_api.get(
    "/inquiries/{inquiry_id}/history",
    summary="The audit history: every change, who made it and when",
    access=DESK_SIDE,
    response=History,
    problems=(404,),
)
async def inquiry_history(request: web.Request) -> History:
    found = await administration.history(
        inquiry_id_of(request), visibility_of(request), desk=request.app[DESK]
    )
    return History(items=found)


@desk_api.get(
    "/inquiries/{inquiry_id}/suggestions",
    summary="Companies the matching service suggests for a partner-search inquiry",
    access=READERS,
    response=Suggestions,
    problems=(404,),
)
async def inquiry_suggestions(request: web.Request) -> Suggestions:
    desk = request.app[DESK]
    inquiry = await handlers.get_inquiry(inquiry_id_of(request), visibility_of(request), desk=desk)
    return Suggestions(items=await desk.suggestions.of(inquiry.inquiry_id))


@desk_api.get(
    "/reports/inquiries",
    summary="Over a period, per country, category, queue, officer, priority or tag: counts, "
    "response and resolution times, SLA attainment, reopen rate, satisfaction (JSON or CSV)",
    access=DESK_SIDE,
    query=ReportQuery,
    response=Report,
    also_as=("text/csv",),
)
async def inquiry_report(request: web.Request, query: ReportQuery) -> Report | web.Response:
    as_csv = wants_csv(request, query.format)
    interval = query.interval or ("month" if as_csv else "period")
    found = await administration.report(
        query, interval, visibility_of(request), desk=request.app[DESK]
    )
    if as_csv:
        return csv_response(found.rows, ReportRow, report_columns(found))
    return found
