"""Wiring of the monitor: the only place that assembles it."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial

import aiohttp
from aiohttp import web

from services.monitor.alerts import handlers as alerting
from services.monitor.alerts.repository import AlertStore, ThresholdStore
from services.monitor.alerts.routes import alerts_api, thresholds_api
from services.monitor.console import routes as console
from services.monitor.console.sessions import ConsoleKeys, SessionStore, session_cookie
from services.monitor.consumers import TOPIC_HANDLERS, on_records
from services.monitor.events.repository import EventIndex
from services.monitor.events.routes import events_api
from services.monitor.health.routes import health_api
from services.monitor.health.targets import HealthProbe
from services.monitor.keys import (
    ALERTS,
    AUDIT,
    CONSOLE_KEYS,
    CONSUMED,
    HEALTH,
    HUB,
    INDEX,
    INSPECTOR,
    LETTERS,
    MONITOR_SETTINGS,
    REPLAYER,
    SESSIONS,
    THRESHOLDS,
)
from services.monitor.letters.replayer import Replayer
from services.monitor.letters.repository import DeadLetterStore
from services.monitor.letters.routes import letters_api
from services.monitor.operators.people import people_api
from services.monitor.operators.repository import AuditLog
from services.monitor.operators.routes import audit_api
from services.monitor.settings import MonitorSettings
from services.monitor.streams.inspector import StreamInspector
from services.monitor.streams.routes import streams_api
from services.monitor.streams.tail import ConsumedEnds, RawTail, TailHub
from shared.clock import utc_now
from shared.http.app import create_service_app
from shared.http.appkeys import KEYS, READINESS_CHECKS
from shared.http.health import running
from shared.kafka import create_producer
from shared.logs import get_logger
from shared.platform import (
    HEALER,
    PLATFORM,
    consumer_context,
    outbox_relay_context,
    platform_context,
)
from shared.settings import ServiceSettings
from shared.tasks import KeptRunning, cancel_and_wait, drain_or_cancel

SERVICE = "monitor"
TAIL = "monitor-tail"
TAIL_DRAIN_SECONDS = 10.0  # the batch in hand is indexed and committed, as consumers do
log = get_logger(__name__)
# Each capability's views; in this order they make the OpenAPI document.
ROUTES = [
    events_api,
    streams_api,
    alerts_api,
    audit_api,
    health_api,
    letters_api,
    thresholds_api,
    console.session_api,
    people_api,
]


def create_app(settings: ServiceSettings | None = None) -> web.Application:
    monitor = MonitorSettings.of(settings or ServiceSettings())
    app = create_service_app(monitor, SERVICE, "JAMP Desk — monitor", ROUTES)
    app[MONITOR_SETTINGS] = monitor
    app.middlewares.append(session_cookie)
    console.install(app)
    app.cleanup_ctx.append(platform_context(SERVICE))
    app.cleanup_ctx.append(stores)
    app.cleanup_ctx.append(outbox_relay_context)
    app.cleanup_ctx.append(consumer_context(TOPIC_HANDLERS))
    app.cleanup_ctx.append(kafka_clients)
    app.cleanup_ctx.append(raw_tail)
    app.cleanup_ctx.append(alert_watch)
    app.cleanup_ctx.append(health_probe)
    return app


async def stores(app: web.Application) -> AsyncIterator[None]:
    database = app[PLATFORM].database
    settings = app[MONITOR_SETTINGS]
    app[INDEX], app[LETTERS] = EventIndex(database), DeadLetterStore(database)
    app[AUDIT], app[THRESHOLDS] = AuditLog(database), ThresholdStore(database)
    app[ALERTS] = AlertStore(database)
    lifetime = timedelta(hours=settings.monitor_session_hours)
    app[SESSIONS] = SessionStore(database["console_sessions"], lifetime)
    for store in (app[INDEX], app[LETTERS], app[SESSIONS]):
        await store.create_indexes()
    app[KEYS] = app[CONSOLE_KEYS] = ConsoleKeys(app[KEYS], app[SESSIONS])
    app[HUB] = TailHub()
    yield


async def kafka_clients(app: web.Application) -> AsyncIterator[None]:
    settings = app[MONITOR_SETTINGS]
    own = [settings.group_id(SERVICE), settings.group_id(TAIL)]
    # What the tail reads proves how far each log reaches (see streams.model.log_ends); after a
    # broker came back empty that proof is void, so the healer rewinds it.
    consumed = ConsumedEnds()
    app[HEALER].consumers.append(consumed)
    app[CONSUMED] = consumed
    inspector = StreamInspector(settings, app[INDEX], own, consumed)
    app[INSPECTOR] = inspector
    app[REPLAYER] = Replayer(partial(create_producer, settings, "monitor-replay"))
    yield
    await app[REPLAYER].close()
    await inspector.close()


async def raw_tail(app: web.Application) -> AsyncIterator[None]:
    settings = app[MONITOR_SETTINGS]
    tail = RawTail(settings, settings.group_id(TAIL), partial(on_records, app=app), app[CONSUMED])
    app[HEALER].consumers.append(tail)  # a broker that lost its data: read the new logs
    tailing = KeptRunning(tail.run, "monitor-tail")
    app[READINESS_CHECKS].append(running("tail", tailing))
    yield
    tail.stop()
    await drain_or_cancel(tailing.task, TAIL_DRAIN_SECONDS)


async def alert_watch(app: web.Application) -> AsyncIterator[None]:
    watch = KeptRunning(partial(_watch_alerts, app), "monitor-alerts")
    yield
    await cancel_and_wait(watch.task)


async def _watch_alerts(app: web.Application) -> None:
    while True:
        await asyncio.sleep(app[MONITOR_SETTINGS].monitor_alert_seconds)
        try:
            now = utc_now()
            await alerting.evaluate_alerts(
                partial(app[INSPECTOR].group_lags, now),
                now,
                thresholds=app[THRESHOLDS],
                alerts=app[ALERTS],
                platform=app[PLATFORM],
            )
        except Exception as error:  # Kafka or MongoDB away: look again next round
            log.warning("monitor.alert_check_failed", error=repr(error))


async def health_probe(app: web.Application) -> AsyncIterator[None]:
    settings = app[MONITOR_SETTINGS]
    async with aiohttp.ClientSession() as session:
        app[HEALTH] = HealthProbe(
            settings.monitor_targets, session, settings.monitor_health_timeout_seconds
        )
        yield
