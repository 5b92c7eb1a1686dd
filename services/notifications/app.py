"""Wiring of the notifications service: the only place that assembles it."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from functools import partial

from aiohttp import web

from services.notifications.composing.rendering import Renderer
from services.notifications.consumers import TOPIC_HANDLERS
from services.notifications.keys import CLOCK, INBOUND, MAILROOM, NOTIFICATION_SETTINGS
from services.notifications.mailroom import Mailroom
from services.notifications.replies.listener import start_listener
from services.notifications.repository import Directory, InboundLog, Ledger, PreferenceStore
from services.notifications.routes import api
from services.notifications.sending.dispatcher import run_dispatcher
from services.notifications.sending.smtp import Relay
from services.notifications.settings import NotificationSettings
from shared.clock import Clock, utc_now
from shared.http.app import create_service_app
from shared.http.appkeys import KEYS
from shared.platform import PLATFORM, consumer_context, outbox_relay_context, platform_context
from shared.settings import ServiceSettings
from shared.tasks import KeptRunning, cancel_and_wait

SERVICE = "notifications"
ROUTES = [api]
"""Every route group the service serves (and documents)."""


def create_app(
    settings: ServiceSettings | None = None, *, clock: Clock = utc_now
) -> web.Application:
    """``clock`` is every mail moment's source; tests pass one they move by hand."""
    notification_settings = NotificationSettings.of(settings or NotificationSettings())
    app = create_service_app(notification_settings, SERVICE, "JAMP Desk — notifications", ROUTES)
    app[NOTIFICATION_SETTINGS] = notification_settings
    app[CLOCK] = clock
    app.cleanup_ctx.append(platform_context(SERVICE))
    app.cleanup_ctx.append(mailroom_context)
    app.cleanup_ctx.append(outbox_relay_context)
    app.cleanup_ctx.append(consumer_context(TOPIC_HANDLERS))
    app.cleanup_ctx.append(dispatcher_context)
    app.cleanup_ctx.append(inbound_context)
    return app


async def mailroom_context(app: web.Application) -> AsyncIterator[None]:
    settings, database = app[NOTIFICATION_SETTINGS], app[PLATFORM].database
    mailroom = Mailroom(
        platform=app[PLATFORM],
        settings=settings,
        directory=Directory(database),
        ledger=Ledger(database),
        preferences=PreferenceStore(database),
        inbound=InboundLog(database),
        renderer=Renderer(),
        relay=Relay.from_url(
            settings.smtp_url.get_secret_value(),
            settings.smtp_timeout_seconds,
            settings.smtp_ca_file,
        ),
        keys=app[KEYS],
        clock=app[CLOCK],
    )
    await mailroom.ledger.create_indexes()
    await mailroom.inbound.create_indexes()
    app[MAILROOM] = mailroom
    yield


async def dispatcher_context(app: web.Application) -> AsyncIterator[None]:
    dispatcher = KeptRunning(partial(run_dispatcher, app[MAILROOM]), "notifications-dispatcher")
    yield
    await cancel_and_wait(dispatcher.task)


async def inbound_context(app: web.Application) -> AsyncIterator[None]:
    if app[NOTIFICATION_SETTINGS].notifications_inbound_port is None:
        yield
        return
    server = await start_listener(app[MAILROOM])
    app[INBOUND] = server
    yield
    server.close()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(server.wait_closed(), 5)
