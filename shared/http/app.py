"""The one HTTP app factory every service uses."""

import asyncio
from importlib.metadata import version

from aiohttp import web

from shared.contracts.asyncapi import build_asyncapi
from shared.http.appkeys import (
    DRAINING,
    METRICS,
    RATE_LIMITER,
    READINESS_CHECKS,
    SERVICE_NAME,
    SETTINGS,
)
from shared.http.endpoints import ApiRoutes
from shared.http.health import healthz, run_checks
from shared.http.middleware import problem_details, request_context
from shared.http.openapi import build_openapi, docs_page
from shared.http.ratelimit import RateLimiter
from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings


def create_service_app(
    settings: ServiceSettings, service: str, title: str, routes: list[ApiRoutes]
) -> web.Application:
    """JSON API with problem+json errors, request ids, body limit, health, metrics and docs.

    Raises MissingSecret without a key pepper: a service never runs with a public one."""
    settings.pepper()
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[request_context, problem_details],
    )
    app[SETTINGS] = settings
    app[SERVICE_NAME] = service
    app[METRICS] = ServiceMetrics()
    app[READINESS_CHECKS] = []
    app[DRAINING] = asyncio.Event()
    app.on_response_prepare.append(_close_when_draining)
    app[RATE_LIMITER] = RateLimiter(settings.public_rate_per_minute, settings.public_rate_burst)
    for group in routes:
        group.install(app)
    spec = build_openapi(
        title, version("jamp-desk"), [endpoint for group in routes for endpoint in group.endpoints]
    )
    events = build_asyncapi(settings.topic_prefix, version("jamp-desk"))

    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(spec)

    async def asyncapi(request: web.Request) -> web.Response:
        return web.json_response(events)

    async def docs(request: web.Request) -> web.Response:
        return web.Response(text=docs_page("/openapi.json"), content_type="text/html")

    async def readyz(request: web.Request) -> web.Response:
        if request.app[DRAINING].is_set():
            return web.json_response({"status": "draining"}, status=503)
        status, report = await run_checks(request.app[READINESS_CHECKS])
        return web.json_response(report, status=status)

    async def metrics(request: web.Request) -> web.Response:
        return request.app[METRICS].render()

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/docs", docs)
    app.router.add_get("/asyncapi.json", asyncapi)
    return app


async def _close_when_draining(request: web.Request, response: web.StreamResponse) -> None:
    """While draining, no connection is kept alive: the client's next request opens a new
    one, which the port accepts until it closes and then refuses cleanly (never a reset)."""
    if request.app[DRAINING].is_set():
        # The header too: force_close() alone does not send it here (aiohttp 3.14), and a
        # client that is not told reuses the connection and is reset.
        response.headers["Connection"] = "close"
        response.force_close()
