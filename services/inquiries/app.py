"""Wiring of the inquiries service: the only place that assembles it."""

from collections.abc import AsyncIterator

from aiohttp import web

from services.inquiries.administration.config import DeskConfiguration
from services.inquiries.administration.configuration_routes import configuration_api
from services.inquiries.administration.departures import release_the_departed
from services.inquiries.administration.routes import desk_api
from services.inquiries.answers.repository import AnswerTemplateRepository
from services.inquiries.answers.routes import answers_api
from services.inquiries.attachments.routes import attachments_api
from services.inquiries.consumers import TOPIC_HANDLERS
from services.inquiries.conversation.routes import conversation_api
from services.inquiries.desk import Desk
from services.inquiries.editing import refresh_officer_names
from services.inquiries.keys import ATTACHMENTS, CLOCK, DESK, INQUIRY_SETTINGS
from services.inquiries.references.repository import ReferenceRepository
from services.inquiries.repository import InquiryRepository
from services.inquiries.routes import api
from services.inquiries.saved_views.repository import SavedViewRepository
from services.inquiries.saved_views.routes import views_api
from services.inquiries.settings import InquirySettings
from services.inquiries.sla.ticker import SlaTicker
from services.inquiries.suggestions import SuggestionRepository
from services.inquiries.tags.repository import TagRepository
from services.inquiries.tags.routes import tags_api
from services.inquiries.webhooks.dispatch import WebhookDispatcher
from services.inquiries.webhooks.repository import WebhookRepository
from services.inquiries.webhooks.routes import webhooks_api
from shared.clock import Clock, utc_now
from shared.documents import documents_context
from shared.http.app import create_service_app
from shared.http.appkeys import KEYS
from shared.platform import PLATFORM, consumer_context, outbox_relay_context, platform_context
from shared.settings import ServiceSettings
from shared.tasks import KeptRunning, cancel_and_wait

SERVICE = "inquiries"
DESK_TOOLS = [answers_api, tags_api, views_api]
ROUTES = [
    api,
    conversation_api,
    attachments_api,
    desk_api,
    configuration_api,
    webhooks_api,
    *DESK_TOOLS,
]
"""Every route group the service serves (and documents)."""


def create_app(
    settings: ServiceSettings | None = None,
    *,
    inquiry_settings: InquirySettings | None = None,
    clock: Clock = utc_now,
) -> web.Application:
    """``clock`` is every SLA moment's source; tests pass a clock they move by hand."""
    settings = settings or ServiceSettings()
    app = create_service_app(settings, SERVICE, "JAMP Desk — inquiries", ROUTES)
    app[INQUIRY_SETTINGS] = inquiry_settings or InquirySettings()
    app[CLOCK] = clock
    app.cleanup_ctx.append(platform_context(SERVICE))
    app.cleanup_ctx.append(documents_context(ATTACHMENTS))
    app.cleanup_ctx.append(repositories)
    app.cleanup_ctx.append(outbox_relay_context)
    app.cleanup_ctx.append(consumer_context(TOPIC_HANDLERS))
    app.cleanup_ctx.append(sla_ticker_context)
    app.cleanup_ctx.append(webhook_dispatcher_context)
    return app


async def repositories(app: web.Application) -> AsyncIterator[None]:
    database = app[PLATFORM].database
    desk = Desk(
        platform=app[PLATFORM],
        inquiries=InquiryRepository(database),
        config=DeskConfiguration(database),
        suggestions=SuggestionRepository(database),
        webhooks=WebhookRepository(database),
        references=ReferenceRepository(database),
        identity=app[KEYS],
        settings=app[INQUIRY_SETTINGS],
        clock=app[CLOCK],
        outbound=app[PLATFORM].settings.outbound_policy(),
        attachments=app[ATTACHMENTS],
        templates=AnswerTemplateRepository(database),
        tags=TagRepository(database),
        views=SavedViewRepository(database),
    )
    await desk.inquiries.create_indexes()
    await desk.inquiries.index_old_messages()
    await refresh_officer_names(desk)
    await desk.references.create_indexes()
    await desk.suggestions.create_indexes()
    await desk.webhooks.create_indexes()
    await desk.config.create_indexes()
    await desk.templates.create_indexes()
    await desk.views.create_indexes()
    await release_the_departed(desk)
    app[DESK] = desk
    yield


async def sla_ticker_context(app: web.Application) -> AsyncIterator[None]:
    ticker = KeptRunning(SlaTicker(app[DESK]).run, "inquiries-sla-ticker")
    yield
    await cancel_and_wait(ticker.task)


async def webhook_dispatcher_context(app: web.Application) -> AsyncIterator[None]:
    desk = app[DESK]
    dispatcher = WebhookDispatcher(desk.webhooks, desk.settings, desk.outbound)
    dispatching = KeptRunning(dispatcher.run, "inquiries-webhooks")
    yield
    await cancel_and_wait(dispatching.task)
