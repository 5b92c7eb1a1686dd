"""Use cases of the event index: recording what the tail reads, searching it, traces."""

from services.monitor.events.model import EventQuery, IndexedEvent, RawRecord, index_entry
from services.monitor.events.repository import EventIndex
from services.monitor.letters.model import dead_letter_of
from services.monitor.letters.repository import DeadLetterStore
from services.monitor.streams.tail import TailHub
from shared.errors import DomainError
from shared.http.pagination import Page, page_of


class EventNotFound(DomainError):
    pass


async def record(
    raws: list[RawRecord], *, index: EventIndex, letters: DeadLetterStore, hub: TailHub
) -> None:
    """Index records in one write (idempotent), file dead letters, show new ones live."""
    events = [index_entry(raw) for raw in raws]
    stored = await index.add_all(events)
    for event, raw in zip(events, raws, strict=True):
        if event.dead_letter:
            await letters.add(dead_letter_of(event), raw.value)
    for new in stored:
        hub.publish(new)


async def list_events(query: EventQuery, *, index: EventIndex) -> Page[IndexedEvent]:
    found = await index.search(query, after=query.after)
    return page_of(found, query.limit, lambda event: event.seq)


async def get_event(event_id: str, *, index: EventIndex) -> IndexedEvent:
    event = await index.get(event_id)
    if event is None:
        raise EventNotFound(f"no event {event_id}")
    return event


async def trace(ident: str, *, index: EventIndex) -> list[IndexedEvent]:
    """Everything naming the id, then everything in the same conversations (correlation
    ids), in the order it happened: one request followed through every service."""
    direct = await index.related(ident)
    correlations = sorted({event.correlation_id for event in direct if event.correlation_id})
    found = {event.id: event for event in [*direct, *await index.correlated(correlations)]}
    return sorted(found.values(), key=lambda event: (event.time or event.timestamp, event.seq))
