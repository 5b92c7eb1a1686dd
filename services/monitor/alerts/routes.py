"""HTTP views of lag alerting: the thresholds and alerts, and setting a group's threshold."""

from aiohttp import web
from pydantic import BaseModel

from services.monitor.alerts import handlers
from services.monitor.alerts.model import Alert, GroupPath, GroupThreshold, Threshold
from services.monitor.keys import ALERTS, AUDIT, THRESHOLDS
from services.monitor.routes import ERRORS, OPERATOR_TAG, READ_TAG, STAFF
from shared.http.endpoints import ApiRoutes, Reply, trace_of
from shared.platform import PLATFORM

alerts_api = ApiRoutes(READ_TAG, errors=ERRORS)
thresholds_api = ApiRoutes(OPERATOR_TAG, errors=ERRORS)


class Alerts(BaseModel):
    thresholds: list[GroupThreshold]
    alerts: list[Alert]


@alerts_api.get("/api/alerts", summary="Lag thresholds and alerts", access=STAFF, response=Alerts)
async def alerts(request: web.Request) -> Alerts:
    return Alerts(
        thresholds=await request.app[THRESHOLDS].all(), alerts=await request.app[ALERTS].all()
    )


@thresholds_api.route(
    "PUT",
    "/api/thresholds/{group}",
    summary="Set a consumer group's lag thresholds (audited)",
    access=STAFF,
    path_model=GroupPath,
    body=Threshold,
    response=GroupThreshold,
)
async def set_threshold(request: web.Request, path: GroupPath, body: Threshold) -> GroupThreshold:
    group = path.group
    await handlers.set_threshold(
        group,
        body,
        thresholds=request.app[THRESHOLDS],
        platform=request.app[PLATFORM],
        audit=request.app[AUDIT],
        trace=trace_of(request),
    )
    return GroupThreshold(group=group, **body.model_dump())


@thresholds_api.route(
    "DELETE",
    "/api/thresholds/{group}",
    summary="Stop watching a consumer group's lag, clearing its alert (audited)",
    access=STAFF,
    path_model=GroupPath,
    status=204,
    problems=(404,),
)
async def remove_threshold(request: web.Request, path: GroupPath) -> Reply:
    await handlers.remove_threshold(
        path.group,
        thresholds=request.app[THRESHOLDS],
        alerts=request.app[ALERTS],
        platform=request.app[PLATFORM],
        audit=request.app[AUDIT],
        trace=trace_of(request),
    )
    return Reply(None, status=204)
