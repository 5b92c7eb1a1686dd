"""Wiring of the proposals service: the only place that assembles it."""

from collections.abc import AsyncIterator

from aiohttp import web

from services.proposals import handlers
from services.proposals.attachment_routes import attachments_api
from services.proposals.consumers import TOPIC_HANDLERS
from services.proposals.keys import ATTACHMENTS, CITIES, PROPOSALS
from services.proposals.repository import CityRepository, ProposalRepository
from services.proposals.routes import api
from shared.documents import documents_context
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

SERVICE = "proposals"
ROUTES = [api, attachments_api]
"""Every route group the service serves (and documents)."""
log = get_logger(SERVICE)


def create_app(settings: ServiceSettings | None = None) -> web.Application:
    settings = settings or ServiceSettings()
    app = create_service_app(settings, SERVICE, "JAMP Desk — proposals", ROUTES)
    app.cleanup_ctx.append(platform_context(SERVICE))
    app.cleanup_ctx.append(documents_context(ATTACHMENTS))
    app.cleanup_ctx.append(repositories)
    app.cleanup_ctx.append(reference_data)
    app.cleanup_ctx.append(outbox_relay_context)
    app.cleanup_ctx.append(consumer_context(TOPIC_HANDLERS))
    return app


async def repositories(app: web.Application) -> AsyncIterator[None]:
    database = app[PLATFORM].database
    app[CITIES], app[PROPOSALS] = CityRepository(database), ProposalRepository(database)
    await app[CITIES].create_indexes()
    await app[PROPOSALS].create_indexes()
    if filled := await app[PROPOSALS].backfill_submitted_at():
        log.info("proposals.submitted_at_backfilled", proposals=filled)
    yield


async def reference_data(app: web.Application) -> AsyncIterator[None]:
    """The ASCN cities, loaded idempotently at every start (only missing ones are added)."""
    trace = Trace(correlation_id=None, traceparent=None, actor=SERVICE)
    added = await handlers.load_reference_cities(
        platform=app[PLATFORM], cities=app[CITIES], trace=trace
    )
    log.info("reference cities loaded", added=len(added))
    yield
