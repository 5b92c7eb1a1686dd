"""Wiring of the matching service: the only place that assembles it."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiohttp import web

from services.matching import handlers
from services.matching.consumers import TOPIC_HANDLERS
from services.matching.index.rescoring import Matchmaker
from services.matching.keys import MATCHES, MATCHING_SETTINGS, MATCHMAKER, READ_MODELS, SESSIONS
from services.matching.repository import MatchRepository, ReadModels
from services.matching.routes import api
from services.matching.sessions.repository import SessionRepository
from services.matching.settings import MatchingSettings
from shared.http.app import create_service_app
from shared.logs import get_logger
from shared.platform import (
    PLATFORM,
    Trace,
    consumer_context,
    outbox_relay_context,
    platform_context,
)
from shared.settings import ServiceSettings

SERVICE = "matching"
log = get_logger(SERVICE)


def create_app(settings: ServiceSettings | None = None) -> web.Application:
    matching = MatchingSettings.of(settings or MatchingSettings())
    app = create_service_app(matching, SERVICE, "JAMP Desk — matching", [api])
    app[MATCHING_SETTINGS] = matching
    app.cleanup_ctx.append(platform_context(SERVICE))
    app.cleanup_ctx.append(repositories)
    app.cleanup_ctx.append(outbox_relay_context)
    app.cleanup_ctx.append(consumer_context(TOPIC_HANDLERS))
    app.cleanup_ctx.append(expiry_sweeper)
    return app


async def repositories(app: web.Application) -> AsyncIterator[None]:
    database = app[PLATFORM].database
    read_models, matches, sessions = (
        ReadModels(database),
        MatchRepository(database),
        SessionRepository(database),
    )
    for repository in (read_models, matches, sessions):
        await repository.create_indexes()
    app[READ_MODELS], app[MATCHES], app[SESSIONS] = read_models, matches, sessions
    app[MATCHMAKER] = Matchmaker(read_models, matches, app[MATCHING_SETTINGS].list_rules())
    yield


async def expiry_sweeper(app: web.Application) -> AsyncIterator[None]:
    """Requests one side accepted and the other left unanswered expire on their deadline."""
    task = asyncio.create_task(_sweep(app), name="matching-expiry")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _sweep(app: web.Application) -> None:
    trace = Trace(correlation_id=None, traceparent=None, actor="matching:expiry")
    while True:
        await asyncio.sleep(app[MATCHING_SETTINGS].matching_expiry_poll_seconds)
        try:
            await handlers.expire_requests(
                datetime.now(UTC), platform=app[PLATFORM], matches=app[MATCHES], trace=trace
            )
        except Exception as error:  # MongoDB away: the next sweep catches up
            log.warning("matching.expiry_failed", error=repr(error))
