"""HTTP view of the desk's health: each service's readiness and rates, with its lag."""

from aiohttp import web
from pydantic import BaseModel

from services.monitor.health.targets import TargetHealth
from services.monitor.keys import HEALTH, INSPECTOR
from services.monitor.routes import ERRORS, READ_TAG, STAFF
from services.monitor.streams.inspector import BrokerUnanswered
from shared.clock import utc_now
from shared.http.endpoints import ApiRoutes

health_api = ApiRoutes(READ_TAG, errors=ERRORS)


class Health(BaseModel):
    targets: list[TargetHealth]
    lag_by_group: dict[str, int]


@health_api.get(
    "/api/health",
    summary="Each service's readiness, request and error rates, consumer lag",
    access=STAFF,
    response=Health,
)
async def health(request: web.Request) -> Health:
    targets = await request.app[HEALTH].check_all()
    try:
        groups = await request.app[INSPECTOR].group_lags(utc_now())
        lags = {group.group: group.lag for group in groups}
    except BrokerUnanswered:  # Kafka away: the services' own health still shows, promptly
        lags = {}
    settings = request.app[INSPECTOR].settings
    for target in targets:
        target.consumer_lag = lags.get(settings.group_id(target.name))
    return Health(targets=targets, lag_by_group=lags)
