"""HTTP views of the desk's configuration: routing rules, calendars, queues, their audit."""

from aiohttp import web
from pydantic import BaseModel

from services.inquiries.administration import configuration
from services.inquiries.administration.queues import Queues
from services.inquiries.administration.routes import ADMIN, desk_api
from services.inquiries.administration.routing import RoutingRules
from services.inquiries.keys import DESK
from services.inquiries.routes import DESK_SIDE
from services.inquiries.sla.business_hours import BusinessCalendar
from services.inquiries.views import ConfigurationChanges, ConfigurationQuery
from services.inquiries.vocabulary import ASEANCountry
from shared.auth import Role, allow
from shared.http.endpoints import ApiRoutes, trace_of

configuration_api = ApiRoutes("desk configuration", errors=desk_api.errors)


@configuration_api.get(
    "/routing-rules", summary="The triage rules, in order", access=DESK_SIDE, response=RoutingRules
)
async def routing_rules(request: web.Request) -> RoutingRules:
    return await request.app[DESK].config.routing()


@configuration_api.put(
    "/routing-rules",
    summary="Replace the triage rules (send the version you read)",
    access=ADMIN,
    body=RoutingRules,
    response=RoutingRules,
    problems=(409,),
)
async def replace_routing_rules(request: web.Request, body: RoutingRules) -> RoutingRules:
    desk = request.app[DESK]
    return await configuration.replace_rules(body, desk=desk, trace=trace_of(request))


class DeskPath(BaseModel):
    country: ASEANCountry


@configuration_api.get(
    "/calendars/{country}",
    summary="A desk's business hours and holidays",
    access=DESK_SIDE,
    path_model=DeskPath,
    response=BusinessCalendar,
)
async def get_calendar(request: web.Request, path: DeskPath) -> BusinessCalendar:
    return await request.app[DESK].config.calendar(path.country)


@configuration_api.put(
    "/calendars/{country}",
    summary="Set a desk's time zone, working days, windows (or 24/7) and holidays; "
    "running SLA deadlines follow the new calendar from now on",
    access=ADMIN,
    path_model=DeskPath,
    body=BusinessCalendar,
    response=BusinessCalendar,
)
async def put_calendar(
    request: web.Request, path: DeskPath, body: BusinessCalendar
) -> BusinessCalendar:
    desk, trace = request.app[DESK], trace_of(request)
    return await configuration.replace_calendar(path.country, body, desk=desk, trace=trace)


@configuration_api.get("/queues", summary="The managed queues", access=DESK_SIDE, response=Queues)
async def queues(request: web.Request) -> Queues:
    return await request.app[DESK].config.queues()


@configuration_api.put(
    "/queues",
    summary="Replace the queues and their escalation settings (send the version you read)",
    access=ADMIN,
    body=Queues,
    response=Queues,
    problems=(409,),
)
async def replace_queues(request: web.Request, body: Queues) -> Queues:
    desk = request.app[DESK]
    return await configuration.replace_queues(body, desk=desk, trace=trace_of(request))


@configuration_api.get(
    "/configuration/history",
    summary="Changes of routing rules, calendars and queues: who, when, before and after",
    access=allow(Role.OPERATOR, Role.ADMIN),
    query=ConfigurationQuery,
    response=ConfigurationChanges,
)
async def configuration_history(
    request: web.Request, query: ConfigurationQuery
) -> ConfigurationChanges:
    found = await request.app[DESK].config.history(query.setting, query.limit)
    return ConfigurationChanges.model_validate({"items": found})
