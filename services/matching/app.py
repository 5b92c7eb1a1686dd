"""Wiring of the matching service: the only place that assembles it."""

import asyncio
import gc
import time
from collections.abc import AsyncIterator
from functools import partial

from aiohttp import web
from prometheus_client import Gauge, Histogram

from services.matching import handlers
from services.matching.consumers import TOPIC_HANDLERS
from services.matching.conversation.repository import MessageRepository
from services.matching.conversation.routes import thread_api
from services.matching.history.repository import TrackRecord
from services.matching.index.matchmaker import Matchmaker
from services.matching.index.rebuild import rescore_lists
from services.matching.keys import (
    CLOCK,
    EVENT_SECONDS,
    FUNNEL,
    MATCHES,
    MATCHING_SETTINGS,
    MATCHMAKER,
    MESSAGES,
    READ_MODELS,
    SESSIONS,
)
from services.matching.reporting.repository import FunnelSource
from services.matching.reporting.routes import report_api
from services.matching.repository import IndexClock, MatchRepository, ReadModels
from services.matching.routes import api
from services.matching.sessions.repository import SessionRepository
from services.matching.settings import MatchingSettings
from shared.clock import utc_now
from shared.http.app import create_service_app
from shared.http.appkeys import METRICS
from shared.logs import get_logger
from shared.platform import (
    PLATFORM,
    Trace,
    consumer_context,
    outbox_relay_context,
    platform_context,
)
from shared.settings import ServiceSettings
from shared.tasks import KeptRunning, cancel_and_wait

SERVICE = "matching"
ROUTES = [api, thread_api, report_api]
"""Every route group the service serves (and documents)."""
EVENT_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2, 5)
log = get_logger(SERVICE)


def create_app(settings: ServiceSettings | None = None) -> web.Application:
    matching = MatchingSettings.of(settings or MatchingSettings())
    app = create_service_app(matching, SERVICE, "JAMP Desk — matching", ROUTES)
    app[MATCHING_SETTINGS] = matching
    app.cleanup_ctx.append(platform_context(SERVICE))
    app.cleanup_ctx.append(repositories)
    app.cleanup_ctx.append(index)
    app.cleanup_ctx.append(outbox_relay_context)
    app.cleanup_ctx.append(consumer_context(TOPIC_HANDLERS))
    app.cleanup_ctx.append(expiry_sweeper)
    return app


async def repositories(app: web.Application) -> AsyncIterator[None]:
    database = app[PLATFORM].database
    read_models, matches, sessions, clock = (
        ReadModels(database),
        MatchRepository(database),
        SessionRepository(database),
        IndexClock(database),
    )
    messages = MessageRepository(database)
    for repository in (read_models, matches, sessions, clock, messages):
        await repository.create_indexes()
    app[READ_MODELS], app[MATCHES], app[SESSIONS] = read_models, matches, sessions
    app[CLOCK], app[MESSAGES], app[FUNNEL] = clock, messages, FunnelSource(database)
    yield


async def index(app: web.Application) -> AsyncIterator[None]:
    """The long-lived index, built from the read models before the consumer starts."""
    settings = app[MATCHING_SETTINGS]
    maker = Matchmaker(
        app[READ_MODELS],
        app[MATCHES],
        app[SESSIONS],
        app[CLOCK],
        settings.list_rules(),
        settings.stats_schedule(),
        settings.weights(),
        TrackRecord(app[PLATFORM].database),
    )
    started = time.perf_counter()
    await maker.start()
    version = maker.weights.version
    if await app[MATCHES].scored_by_other_weights(version):
        # New weights: every open list is chosen again by them before any event is handled.
        why = f"rescored with weights {version}"
        await rescore_lists(app[PLATFORM], maker, why, "matching:weights")
    # The index is hundreds of thousands of long-lived objects: left to the collector,
    # every full collection walks them all (0.3 s at 10,000 companies), a pause in the
    # middle of some event. Frozen, they are skipped; what they drop is freed by refcount.
    gc.freeze()
    built = Gauge(
        "matching_index_build_seconds",
        "Time the last start took to build the in-memory index from the read models",
        registry=app[METRICS].registry,
    )
    built.set(time.perf_counter() - started)
    app[EVENT_SECONDS] = Histogram(
        "matching_event_seconds",
        "Time an event spends in its handler, by event type (writes a batch holds to its end "
        "are not in it: consumer_transaction_seconds has the whole transaction)",
        ["type"],
        buckets=EVENT_BUCKETS,
        registry=app[METRICS].registry,
    )
    app[MATCHMAKER] = maker
    yield


async def expiry_sweeper(app: web.Application) -> AsyncIterator[None]:
    """Requests one side accepted and the other left unanswered expire on their deadline."""
    sweeper = KeptRunning(partial(_sweep, app), "matching-expiry")
    yield
    await cancel_and_wait(sweeper.task)


async def _sweep(app: web.Application) -> None:
    trace = Trace(correlation_id=None, traceparent=None, actor="matching:expiry")
    while True:
        await asyncio.sleep(app[MATCHING_SETTINGS].matching_expiry_poll_seconds)
        try:
            await handlers.expire_requests(
                utc_now(),
                platform=app[PLATFORM],
                matches=app[MATCHES],
                clock=app[CLOCK],
                trace=trace,
            )
        except Exception as error:  # MongoDB away: the next sweep catches up
            log.warning("matching.expiry_failed", error=repr(error))
