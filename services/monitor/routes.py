"""HTTP views of the monitor that read: events, traces, streams, alerts, audit, health."""

from datetime import UTC, datetime

from aiohttp import web
from pydantic import BaseModel

from services.monitor import handlers
from services.monitor.alerts import Alert, GroupThreshold
from services.monitor.handlers import DeadLetterNotFound, EventNotFound
from services.monitor.keys import (
    ALERTS,
    AUDIT,
    HEALTH,
    INDEX,
    INSPECTOR,
    MONITOR_SETTINGS,
    THRESHOLDS,
)
from services.monitor.ledgers import AuditEntry
from services.monitor.masking import M, shown_to
from services.monitor.model import EventQuery, IndexedEvent
from services.monitor.operations import LetterNotPending, ReplayRefused
from services.monitor.streams import StreamsOverview
from services.monitor.targets import TargetHealth
from shared.auth import Role, allow
from shared.http.endpoints import ApiRoutes, principal_of
from shared.http.pagination import Page, PageQuery, page_of
from shared.http.problems import Conflict, NotFound
from shared.topics import Topics

api = ApiRoutes(
    "monitor",
    errors={
        EventNotFound: NotFound,
        DeadLetterNotFound: NotFound,
        LetterNotPending: Conflict,
        ReplayRefused: Conflict,
    },
)
STAFF = allow(Role.OPERATOR, Role.ADMIN)


def shown(request: web.Request, item: M) -> M:
    """Contact details only for admins."""
    return shown_to(principal_of(request), item)


class Trace(BaseModel):
    id: str
    events: list[IndexedEvent]


class Alerts(BaseModel):
    thresholds: list[GroupThreshold]
    alerts: list[Alert]


class Health(BaseModel):
    targets: list[TargetHealth]
    lag_by_group: dict[str, int]


@api.get(
    "/api/events",
    summary="Indexed events, newest first, filtered",
    access=STAFF,
    query=EventQuery,
    response=Page[IndexedEvent],
)
async def list_events(request: web.Request, query: EventQuery) -> Page[IndexedEvent]:
    page = await handlers.list_events(query, index=request.app[INDEX])
    return Page(items=[shown(request, e) for e in page.items], next_cursor=page.next_cursor)


@api.get(
    "/api/mail",
    summary="Mail sent, failed and received (the notifications stream), newest first",
    access=STAFF,
    query=PageQuery,
    response=Page[IndexedEvent],
)
async def list_mail(request: web.Request, query: PageQuery) -> Page[IndexedEvent]:
    topic = Topics(request.app[MONITOR_SETTINGS].topic_prefix).of("notifications")
    events = EventQuery(topic=topic, limit=query.limit, cursor=query.cursor)
    page = await handlers.list_events(events, index=request.app[INDEX])
    return Page(items=[shown(request, e) for e in page.items], next_cursor=page.next_cursor)


@api.get(
    "/api/events/{event_id}",
    summary="One record: envelope, headers and payload",
    access=STAFF,
    response=IndexedEvent,
    problems=(404,),
)
async def get_event(request: web.Request) -> IndexedEvent:
    event = await handlers.get_event(request.match_info["event_id"], index=request.app[INDEX])
    return shown(request, event)


@api.get(
    "/api/trace/{ident}",
    summary="Every event of an aggregate or correlation id, across all topics, in order",
    access=STAFF,
    response=Trace,
)
async def trace(request: web.Request) -> Trace:
    ident = request.match_info["ident"]
    events = await handlers.trace(ident, index=request.app[INDEX])
    return Trace(id=ident, events=[shown(request, event) for event in events])


@api.get(
    "/api/streams",
    summary="End offsets and rates per partition; offsets, lag and members per group",
    access=STAFF,
    response=StreamsOverview,
)
async def streams(request: web.Request) -> StreamsOverview:
    return await request.app[INSPECTOR].overview(datetime.now(UTC))


@api.get("/api/alerts", summary="Lag thresholds and alerts", access=STAFF, response=Alerts)
async def alerts(request: web.Request) -> Alerts:
    return Alerts(
        thresholds=await request.app[THRESHOLDS].all(), alerts=await request.app[ALERTS].all()
    )


@api.get(
    "/api/audit",
    summary="Operator actions, newest first",
    access=STAFF,
    query=PageQuery,
    response=Page[AuditEntry],
)
async def audit(request: web.Request, query: PageQuery) -> Page[AuditEntry]:
    found = await request.app[AUDIT].list(query.after, query.limit)
    return page_of(found, query.limit, lambda entry: entry.id)


@api.get(
    "/api/health",
    summary="Each service's readiness, request and error rates, consumer lag",
    access=STAFF,
    response=Health,
)
async def health(request: web.Request) -> Health:
    targets = await request.app[HEALTH].check_all()
    try:
        overview = await request.app[INSPECTOR].overview(datetime.now(UTC))
        lags = {group.group: group.lag for group in overview.groups}
    except Exception:  # Kafka away: the services' own health still shows
        lags = {}
    settings = request.app[INSPECTOR].settings
    for target in targets:
        target.consumer_lag = lags.get(settings.group_id(target.name))
    return Health(targets=targets, lag_by_group=lags)
