"""The organisers' matching report, JSON or CSV."""

from aiohttp import web

from services.matching.keys import FUNNEL
from services.matching.reporting import handlers
from services.matching.reporting.funnel import FunnelRow, MatchingReport, ReportQuery
from shared.auth import Role, allow
from shared.clock import utc_now
from shared.http.endpoints import ApiRoutes
from shared.http.tabular import CSV, csv_response, wants_csv

report_api = ApiRoutes("matching report")


@report_api.get(
    "/reports/matching",
    summary="The matching funnel per country, city or focus area, with median hours between "
    "steps (JSON or CSV)",
    access=allow(Role.OPERATOR, Role.ADMIN),
    query=ReportQuery,
    response=MatchingReport,
    also_as=(CSV,),
)
async def matching_report(
    request: web.Request, query: ReportQuery
) -> MatchingReport | web.Response:
    report = await handlers.matching_report(query, request.app[FUNNEL], utc_now())
    if wants_csv(request, query.format):
        return csv_response([report.total, *report.rows], FunnelRow)
    return report
