"""Use cases of the monitor that read: recording records, the tail, traces, dead letters."""

from aiokafka import TopicPartition

from services.monitor.inspector import StreamInspector
from services.monitor.letters import (
    DeadLetter,
    DryRun,
    LetterStatus,
    Replay,
    dead_letter_of,
    dry_run,
)
from services.monitor.model import EventQuery, IndexedEvent, RawRecord, index_entry
from services.monitor.repository import DeadLetterStore, EventIndex
from services.monitor.tail import TailHub
from shared.errors import DomainError
from shared.http.pagination import Page, page_of
from shared.topics import Topics


class EventNotFound(DomainError):
    pass


class DeadLetterNotFound(DomainError):
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


async def list_dead_letters(
    status: LetterStatus | None,
    after: str | None,
    limit: int,
    *,
    letters: DeadLetterStore,
    inspector: StreamInspector,
) -> Page[DeadLetter]:
    found = await letters.list(status, after, limit)
    page = page_of(found, limit, lambda letter: letter.seq)
    items = [await with_processing(letter, inspector) for letter in page.items]
    return Page(items=items, next_cursor=page.next_cursor)


async def get_dead_letter(
    letter_id: str, *, letters: DeadLetterStore, inspector: StreamInspector
) -> DeadLetter:
    found = await letters.get(letter_id)
    if found is None:
        raise DeadLetterNotFound(f"no dead letter {letter_id}")
    return await with_processing(found[0], inspector)


async def dry_run_dead_letter(
    letter_id: str, *, letters: DeadLetterStore, topics: Topics
) -> DryRun:
    found = await letters.get(letter_id)
    if found is None:
        raise DeadLetterNotFound(f"no dead letter {letter_id}")
    return dry_run(*found, topics)


async def with_processing(letter: DeadLetter, inspector: StreamInspector) -> DeadLetter:
    """Each replay marked processed once the group that failed it committed past it."""
    if not letter.replays or letter.consumer_group is None:
        return letter
    partitions = {TopicPartition(letter.original_topic, r.partition) for r in letter.replays}
    try:
        committed = await inspector.committed(letter.consumer_group, sorted(partitions))
    except Exception:  # Kafka away: the letter is still worth showing, status unknown
        return letter

    def processed(replay: Replay) -> bool:
        offset = committed[TopicPartition(letter.original_topic, replay.partition)]
        return offset is not None and offset > replay.offset

    replays = [r.model_copy(update={"processed": processed(r)}) for r in letter.replays]
    return letter.model_copy(update={"replays": replays})
