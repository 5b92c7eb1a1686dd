"""Dead letters: what failed, where it came from, and whether it would pass today. Pure."""

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.monitor.events.model import IndexedEvent, masked_fields
from shared.contracts import EVENT_TYPES
from shared.contracts.identity import Actor
from shared.envelope import Envelope, UnknownEventType
from shared.masking import mask_optional_text, mask_text
from shared.topics import DLQ_SUFFIX, Topics

LetterStatus = Literal["pending", "replayed", "discarded"]
DLQ_HEADER_PREFIX = "dlq."


class Replay(BaseModel):
    at: datetime
    by: str
    by_person: Actor | None = None
    partition: int
    offset: int
    processed: bool | None = Field(
        default=None,
        description="Whether the group that failed it has committed past it without failing it"
        " again",
    )
    dead_lettered_again: str | None = Field(
        default=None, description="The letter this replay became when that group failed it again"
    )


class DeadLetter(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The id of the dead-letter record in the event index")
    seq: str = ""
    dlq_topic: str
    failed_at: str | None
    error: str | None
    error_type: str | None
    consumer_group: str | None
    original_topic: str = Field(
        description="Where a replay goes: the dead-letter topic's own name without '.dlq'"
    )
    reported_topic: str | None = Field(
        default=None,
        description="The dlq.original_topic header: shown, never used to route a replay",
    )
    original_partition: int | None
    original_offset: int | None
    key: str | None
    headers: dict[str, str] = Field(description="The original record's headers")
    event_id: str | None
    event_type: str | None
    subject: str | None
    correlation_id: str | None
    data: Any = None
    raw: str | None = None
    status: LetterStatus = "pending"
    replays: list[Replay] = []
    discarded_reason: str | None = None
    discarded_by: str | None = None

    def masked(self) -> "DeadLetter":
        """The letter as an operator who is not an admin sees it: no contact details."""
        # Each of the failure's fields is a header's value: whoever wrote the record chose it.
        failure = ("failed_at", "error", "error_type", "consumer_group", "reported_topic")
        chosen = {name: mask_optional_text(getattr(self, name)) for name in failure}
        return self.model_copy(
            update={
                **masked_fields(self),
                **chosen,
                "event_type": mask_optional_text(self.event_type),
                "discarded_reason": mask_optional_text(self.discarded_reason),
            }
        )


def dead_letter_of(event: IndexedEvent) -> DeadLetter:
    """A record of a ``.dlq`` topic, its failure read from the ``dlq.*`` headers."""
    failure = {
        name.removeprefix(DLQ_HEADER_PREFIX): value
        for name, value in event.headers.items()
        if name.startswith(DLQ_HEADER_PREFIX)
    }
    original = {
        name: value
        for name, value in event.headers.items()
        if not name.startswith(DLQ_HEADER_PREFIX)
    }
    return DeadLetter(
        id=event.id,
        dlq_topic=event.topic,
        failed_at=failure.get("failed_at"),
        error=failure.get("error"),
        error_type=failure.get("error_type"),
        consumer_group=failure.get("consumer_group"),
        original_topic=event.topic.removesuffix(DLQ_SUFFIX),
        reported_topic=failure.get("original_topic"),
        original_partition=_int(failure.get("original_partition")),
        original_offset=_int(failure.get("original_offset")),
        key=event.key,
        headers=original,
        event_id=event.event_id,
        event_type=event.type,
        subject=event.subject,
        correlation_id=event.correlation_id,
        data=event.data,
        raw=event.raw,
    )


class DryRun(BaseModel):
    valid: bool
    event_type: str | None
    target_topic: str = Field(description="Where a replay would go")
    problems: list[str] = Field(
        description="Why the current schema would reject it, or why it may not be replayed"
    )

    def masked(self) -> "DryRun":
        """For operators: a custom validator's message may quote a contact detail."""
        return self.model_copy(update={"problems": [mask_text(p) for p in self.problems]})


def dry_run(letter: DeadLetter, value: bytes | None, topics: Topics) -> DryRun:
    """Validate the record against the envelope and the current contract of its type, and
    check that its type is one the target topic carries."""
    event_type, problems = schema_problems(value)
    refusal = replay_refusal(letter, topics)
    problems += [] if refusal is None else [refusal]
    return DryRun(
        valid=not problems,
        event_type=event_type,
        target_topic=letter.original_topic,
        problems=problems,
    )


def schema_problems(value: bytes | None) -> tuple[str | None, list[str]]:
    """The record's event type, and what the current schema finds wrong with it."""
    try:
        envelope = Envelope.from_bytes(value)
    except ValidationError as error:
        return None, _problems("envelope", error)
    except ValueError as error:
        return None, [f"not JSON: {error}"]
    try:
        envelope.payload()
    except UnknownEventType:
        return envelope.type, [f"no contract for type {envelope.type!r}"]
    except ValidationError as error:
        return envelope.type, _problems("data", error)
    return envelope.type, []


def replay_refusal(letter: DeadLetter, topics: Topics) -> str | None:
    """Why the letter may not go back to its target topic, or None when it may.

    The target is the dead-letter topic's own source (``X.dlq`` → ``X``); a header naming
    another topic changes nothing. Only a type that the contracts publish on that very
    topic may go there: a letter written to one topic's DLQ cannot mint another stream's
    events (an API key on the identity stream, say).
    """
    target = letter.original_topic
    model = EVENT_TYPES.get(letter.event_type or "")
    if model is None:
        return f"type {letter.event_type!r} has no contract: nothing may replay it to {target}"
    home = topics.of(model.stream)
    if home != target:
        return f"type {letter.event_type} is published on {home}, not on {target}"
    return None


def _problems(where: str, error: ValidationError) -> list[str]:
    return [
        f"{'.'.join([where, *(str(part) for part in item['loc'])])}: {item['msg']}"
        for item in error.errors(include_url=False)
    ]


REPLAYED_FROM = "monitor.replayed_from"


def replay_headers(
    headers: dict[str, str], dead_letter_id: str, at: datetime
) -> list[tuple[str, bytes]]:
    """The original headers, and ones naming the dead letter it was replayed from and when
    (so each replay is a record of its own in the monitor's index)."""
    kept = [(name, value.encode()) for name, value in headers.items()]
    replayed = [(REPLAYED_FROM, dead_letter_id), ("monitor.replayed_at", at.isoformat())]
    return [*kept, *((name, value.encode()) for name, value in replayed)]


# ASCII digits, few enough for 64 bits: isdigit() also passes "²", which int() refuses.
_NUMBER = re.compile(r"-?[0-9]{1,18}")


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and _NUMBER.fullmatch(value) else None
