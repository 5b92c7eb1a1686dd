"""HTTP views of the event index: search, one record, the mail stream, traces."""

from aiohttp import web
from pydantic import BaseModel

from services.monitor.events import handlers
from services.monitor.events.model import EventQuery, IndexedEvent
from services.monitor.keys import INDEX, MONITOR_SETTINGS
from services.monitor.routes import ERRORS, READ_TAG, STAFF, looks_up, shown
from shared.http.endpoints import ApiRoutes
from shared.http.pagination import Page, PageQuery
from shared.topics import Topics

events_api = ApiRoutes(READ_TAG, errors=ERRORS)


class Trace(BaseModel):
    id: str
    events: list[IndexedEvent]


@events_api.get(
    "/api/events",
    summary="Indexed events, newest first, filtered",
    access=STAFF,
    query=EventQuery,
    response=Page[IndexedEvent],
)
async def list_events(request: web.Request, query: EventQuery) -> Page[IndexedEvent]:
    if not looks_up(request, *query.named()):
        return Page(items=[], next_cursor=None)
    page = await handlers.list_events(query, index=request.app[INDEX])
    return Page(items=[shown(request, e) for e in page.items], next_cursor=page.next_cursor)


@events_api.get(
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


@events_api.get(
    "/api/events/{event_id}",
    summary="One record: envelope, headers and payload",
    access=STAFF,
    response=IndexedEvent,
    problems=(404,),
)
async def get_event(request: web.Request) -> IndexedEvent:
    event = await handlers.get_event(request.match_info["event_id"], index=request.app[INDEX])
    return shown(request, event)


@events_api.get(
    "/api/trace/{ident}",
    summary="Every event of an aggregate or correlation id, across all topics, in order",
    access=STAFF,
    response=Trace,
)
async def trace(request: web.Request) -> Trace:
    ident = request.match_info["ident"]
    events = (
        await handlers.trace(ident, index=request.app[INDEX]) if looks_up(request, ident) else []
    )
    return Trace(id=ident, events=[shown(request, event) for event in events])
