"""HTTP views of the desk's configuration: routing rules, calendars, queues, their audit."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel

from services.inquiries.administration import configuration
from services.inquiries.administration.config import DeskConfiguration
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


Setting = TypeVar("Setting", RoutingRules, Queues)
Replace = Callable[..., Awaitable[Setting]]


def versioned_setting(
    path: str,
    model: type[Setting],
    *,
    name: str,
    read: Callable[[DeskConfiguration], Awaitable[Setting]],
    replace: Replace[Setting],
    summaries: tuple[str, str],
) -> None:
    """The read view (``<name>``) and the audited replace view (``replace_<name>``, 409 when
    the version sent is stale) of a setting changed as a whole."""

    async def read_view(request: web.Request) -> Setting:
        return await read(request.app[DESK].config)

    async def replace_view(request: web.Request, body: Setting) -> Setting:
        return await replace(body, desk=request.app[DESK], trace=trace_of(request))

    read_view.__name__, replace_view.__name__ = name, f"replace_{name}"  # OpenAPI operationIds
    read_summary, replace_summary = summaries
    configuration_api.get(path, summary=read_summary, access=DESK_SIDE, response=model)(read_view)
    configuration_api.put(
        path,
        summary=replace_summary,
        access=ADMIN,
        body=model,
        response=model,
        problems=(409,),
    )(replace_view)


versioned_setting(
    "/routing-rules",
    RoutingRules,
    name="routing_rules",
    read=lambda config: config.routing(),
    replace=configuration.replace_rules,
    summaries=(
        "The triage rules, in order",
        "Replace the triage rules (send the version you read)",
    ),
)


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


versioned_setting(
    "/queues",
    Queues,
    name="queues",
    read=lambda config: config.queues(),
    replace=configuration.replace_queues,
    summaries=(
        "The managed queues",
        "Replace the queues and their escalation settings (send the version you read)",
    ),
)


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
