"""Wiring of the companies service: the only place that assembles it."""

from collections.abc import AsyncIterator

from aiohttp import web

from services.companies.consumers import TOPIC_HANDLERS
from services.companies.keys import COMPANIES
from services.companies.repository import CompanyRepository
from services.companies.routes import api
from shared.auth.keys import LEDGER
from shared.http.app import create_service_app
from shared.platform import (
    PLATFORM,
    consumer_context,
    ledger_relay_context,
    outbox_relay_context,
    platform_context,
)
from shared.settings import ServiceSettings

SERVICE = "companies"
ROUTES = [api]
"""Every route group the service serves (and documents)."""


def create_app(settings: ServiceSettings | None = None) -> web.Application:
    settings = settings or ServiceSettings()
    app = create_service_app(settings, SERVICE, "JAMP Desk — companies", ROUTES)
    app.cleanup_ctx.append(platform_context(SERVICE))
    app.cleanup_ctx.append(repositories)
    app.cleanup_ctx.append(outbox_relay_context)
    # The key ledger's events (jamp keys) are relayed here: this service already issues
    # company keys on the identity stream, runs whenever the desk takes registrations and
    # may run many replicas (the ledger's lease picks one); the monitor is a single,
    # optional console that the desk must not depend on.
    app.cleanup_ctx.append(ledger_relay_context(LEDGER))
    app.cleanup_ctx.append(consumer_context(TOPIC_HANDLERS))
    return app


async def repositories(app: web.Application) -> AsyncIterator[None]:
    companies = CompanyRepository(app[PLATFORM].database)
    await companies.create_indexes()
    app[COMPANIES] = companies
    yield
