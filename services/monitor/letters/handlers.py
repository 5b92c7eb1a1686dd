"""Use cases of the dead letters: reading them (with whether each replay was processed),
and the operator's replay and discard. Each change is recorded, audited and published
together (one transaction with the outbox), so the audit log and the monitor stream
always agree."""

from dataclasses import replace

from aiokafka import TopicPartition

from services.monitor.letters.model import (
    DeadLetter,
    DryRun,
    LetterStatus,
    Replay,
    dry_run,
    replay_headers,
)
from services.monitor.letters.replayer import Replayer
from services.monitor.letters.repository import DeadLetterStore
from services.monitor.operators.repository import AuditLog
from services.monitor.streams.inspector import StreamInspector
from shared.clock import utc_now
from shared.contracts.monitor import DeadLetterDiscarded, DeadLetterReplayed
from shared.errors import DomainError
from shared.http.pagination import Page, page_of
from shared.masking import mask_text
from shared.platform import Platform, Trace, unit_of_work
from shared.topics import Topics


class DeadLetterNotFound(DomainError):
    pass


class LetterNotPending(DomainError):
    pass


class ReplayRefused(DomainError):
    """What the dry run refuses, refused; its problems may quote what the record's writer
    chose (its type, a field's name)."""

    def __init__(self, letter_id: str, problems: list[str]) -> None:
        super().__init__(f"dead letter {letter_id} may not be replayed: {'; '.join(problems)}")
        self.letter_id, self.problems = letter_id, problems

    def masked(self) -> "ReplayRefused":
        """For operators, as the dry run shows them its problems."""
        return ReplayRefused(self.letter_id, [mask_text(problem) for problem in self.problems])


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
        passed = offset is not None and offset > replay.offset
        return passed and replay.dead_lettered_again is None

    replays = [r.model_copy(update={"processed": processed(r)}) for r in letter.replays]
    return letter.model_copy(update={"replays": replays})


async def replay_dead_letter(
    letter_id: str,
    *,
    letters: DeadLetterStore,
    replayer: Replayer,
    platform: Platform,
    audit: AuditLog,
    trace: Trace,
) -> Replay:
    """Send the record, untouched, back to the topic its DLQ belongs to, then record that
    it was. A crash between the two replays it again later: consumers are idempotent."""
    found = await letters.get(letter_id)
    if found is None:
        raise DeadLetterNotFound(f"no dead letter {letter_id}")
    letter, value = found
    if letter.status == "discarded":
        raise LetterNotPending(f"dead letter {letter_id} was discarded")
    # What the dry run refuses is refused here: a record the current contract rejects would
    # only be dead-lettered again by every group reading the topic.
    checked = dry_run(letter, value, platform.topics)
    if not checked.valid:
        raise ReplayRefused(letter_id, checked.problems)
    target = letter.original_topic
    key = None if letter.key is None else letter.key.encode()
    at = utc_now()
    partition, offset = await replayer.send(
        target, key, value, replay_headers(letter.headers, letter.id, at)
    )
    replay = Replay(at=at, by=trace.actor, by_person=trace.by, partition=partition, offset=offset)
    event = DeadLetterReplayed(
        dead_letter_id=letter.id,
        target_topic=target,
        original_topic=letter.original_topic,
        original_partition=letter.original_partition
        if letter.original_partition is not None
        else -1,
        original_offset=letter.original_offset if letter.original_offset is not None else -1,
        replayed_partition=partition,
        replayed_offset=offset,
        replayed_type=letter.event_type,
        by=trace.actor,
        by_person=trace.by,
    )
    async with unit_of_work(platform, _own(trace, letter.correlation_id)) as uow:
        await letters.record_replay(letter.id, replay, uow.session)
        details = {"target_topic": target, "partition": partition, "offset": offset}
        await audit.record(trace.by, "dead_letter.replay", letter.id, details, uow.session)
        await uow.publish(letter.id, event)
    return replay


async def discard_dead_letter(
    letter_id: str,
    reason: str,
    *,
    letters: DeadLetterStore,
    platform: Platform,
    audit: AuditLog,
    trace: Trace,
) -> None:
    async with unit_of_work(platform, trace) as uow:
        found = await letters.get(letter_id)
        if found is None:
            raise DeadLetterNotFound(f"no dead letter {letter_id}")
        if not await letters.record_discard(letter_id, reason, trace.actor, uow.session):
            raise LetterNotPending(f"dead letter {letter_id} is {found[0].status}, not pending")
        details = {"reason": reason}
        await audit.record(trace.by, "dead_letter.discard", letter_id, details, uow.session)
        event = DeadLetterDiscarded(
            dead_letter_id=letter_id,
            original_topic=found[0].original_topic,
            reason=reason,
            by=trace.actor,
            by_person=trace.by,
        )
        await uow.publish(letter_id, event)


def _own(trace: Trace, correlation_id: str | None) -> Trace:
    """The replay event joins the replayed event's conversation, so a trace shows both."""
    return replace(trace, correlation_id=correlation_id or trace.correlation_id)
