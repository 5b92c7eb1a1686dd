"""HTTP views around the inquiries: history, suggestions, webhooks, report."""

from aiohttp import web

from services.inquiries import handlers
from services.inquiries.administration import handlers as administration
from services.inquiries.administration.report import Report, ReportQuery, ReportRow, report_columns
from services.inquiries.commands import Subscribe
from services.inquiries.keys import DESK
from services.inquiries.model import InquiryNotFound, InvalidChange, StaleVersion, WebhookRefused
from services.inquiries.routes import DESK_SIDE, READERS, _id, _visibility
from services.inquiries.views import (
    Deliveries,
    History,
    NewSubscription,
    Subscriptions,
    Suggestions,
)
from shared.auth import Role, allow
from shared.http.endpoints import ApiRoutes, principal_of
from shared.http.problems import (
    Conflict,
    InvalidReference,
    NotFound,
    RefusedByPolicy,
)
from shared.http.tabular import csv_response, wants_csv

desk_api = ApiRoutes(
    "inquiry desk",
    errors={
        InquiryNotFound: NotFound,
        StaleVersion: Conflict,
        WebhookRefused: RefusedByPolicy,
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
    found = await administration.history(_id(request), _visibility(request), desk=request.app[DESK])
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
    inquiry = await handlers.get_inquiry(_id(request), _visibility(request), desk=desk)
    return Suggestions(items=await desk.suggestions.of(inquiry.inquiry_id))


@desk_api.post(
    "/webhooks",
    summary="Be told of replies and status changes of the inquiries this key may see",
    access=READERS,
    body=Subscribe,
    response=NewSubscription,
    status=201,
)
async def subscribe(request: web.Request, body: Subscribe) -> NewSubscription:
    caller = principal_of(request)
    return await administration.subscribe(body, caller, desk=request.app[DESK])


@desk_api.get(
    "/webhooks",
    summary="This key's webhook subscriptions (staff: all)",
    access=READERS,
    response=Subscriptions,
)
async def list_webhooks(request: web.Request) -> Subscriptions:
    caller = principal_of(request)
    owner = None if caller.is_staff else caller.name
    return Subscriptions(items=await request.app[DESK].webhooks.owned_by(owner))


@desk_api.get(
    "/webhooks/{subscription_id}/deliveries",
    summary="Deliveries of a subscription, newest first, with every attempt",
    access=READERS,
    response=Deliveries,
    problems=(404,),
)
async def webhook_deliveries(request: web.Request) -> Deliveries:
    subscription_id = request.match_info["subscription_id"]
    caller = principal_of(request)
    return await administration.deliveries(subscription_id, caller, desk=request.app[DESK])


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
        query, interval, _visibility(request), desk=request.app[DESK]
    )
    if as_csv:
        return csv_response(found.rows, ReportRow, report_columns(found))
    return found
