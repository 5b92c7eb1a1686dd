"""HTTP view of the streams: offsets and rates per partition, lag per consumer group."""

from aiohttp import web

from services.monitor.keys import INSPECTOR
from services.monitor.routes import ERRORS, READ_TAG, STAFF
from services.monitor.streams.model import StreamsOverview
from shared.clock import utc_now
from shared.http.endpoints import ApiRoutes

streams_api = ApiRoutes(READ_TAG, errors=ERRORS)


@streams_api.get(
    "/api/streams",
    summary="End offsets and rates per partition; offsets, lag and members per group",
    access=STAFF,
    response=StreamsOverview,
    problems=(503,),
)
async def streams(request: web.Request) -> StreamsOverview:
    return await request.app[INSPECTOR].overview(utc_now())
