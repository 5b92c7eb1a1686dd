"""Use cases of the event index: recording what the tail reads, searching it, traces."""

from services.monitor.events.model import (
    EventQuery,
    IndexedEvent,
    RawRecord,
    index_entry,
    unreadable_entry,
)
from services.monitor.events.repository import EventIndex
from services.monitor.letters.model import dead_letter_of
from services.monitor.letters.repository import DeadLetterStore
from services.monitor.streams.tail import TailHub
from shared.errors import DomainError
from shared.http.pagination import Page, page_of
from shared.logs import get_logger
from shared.mongo import is_transient

log = get_logger(__name__)


class EventNotFound(DomainError):
    pass


async def record(
    raws: list[RawRecord], *, index: EventIndex, letters: DeadLetterStore, hub: TailHub
) -> None:
    """Index records in one write (idempotent), file dead letters, show new ones live.

    Each record is indexed as far as it can be: one whose entry cannot be built or stored
    is indexed by its place and the reason (``unreadable_entry``). Only a write that fails
    for every record (the database away) is raised, and the tail retries the poll: a
    record that fails on its own must not hold the ones after it, an outage must lose
    none."""
    entries = [_entry(raw) for raw in raws]
    try:
        stored = await index.add_all(entries)
    except Exception as error:
        if is_transient(error):
            raise
        entries, stored = await _each_alone(raws, entries, index)
    for event, raw in zip(entries, raws, strict=True):
        if event.dead_letter:
            await _file(event, raw, letters)
    for new in stored:
        hub.publish(new)


def _entry(raw: RawRecord) -> IndexedEvent:
    try:
        return index_entry(raw)
    except Exception as error:  # a reading rule the record breaks: it still has a place
        return _unreadable(raw, "could not be read", error)


async def _each_alone(
    raws: list[RawRecord], entries: list[IndexedEvent], index: EventIndex
) -> tuple[list[IndexedEvent], list[IndexedEvent]]:
    """The entries written one at a time, and those that were new. One that fails alone
    is replaced by its place and the reason; if that fails too, the write fails for all.
    (Records that the failed write of the poll did store are not new here: the index
    has them, the live tail misses them.)"""
    kept, stored = [], []
    for raw, entry in zip(raws, entries, strict=True):
        try:
            stored += await index.add_all([entry])
        except Exception as error:
            if is_transient(error):
                raise
            entry = _unreadable(raw, "could not be stored", error)
            stored += await index.add_all([entry])
        kept.append(entry)
    return kept, stored


async def _file(event: IndexedEvent, raw: RawRecord, letters: DeadLetterStore) -> None:
    try:
        await letters.add(dead_letter_of(event), raw.value)
    except Exception as error:
        if is_transient(error):
            raise
        # Listed all the same, under the entry's id; with no value, no replay can send it.
        least = _unreadable(raw, "could not be filed", error).model_copy(update={"id": event.id})
        await letters.add(dead_letter_of(least), None)


def _unreadable(raw: RawRecord, what: str, error: Exception) -> IndexedEvent:
    # An error's text may quote the record (a field name, say): only its type is kept.
    reason = f"{what} ({type(error).__name__})"
    place = {"topic": raw.topic, "partition": raw.partition, "offset": raw.offset}
    log.warning("monitor.record_unreadable", reason=reason, **place)
    return unreadable_entry(raw, reason)


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
