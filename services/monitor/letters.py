"""Dead letters: what failed, where it came from, and whether it would pass today. Pure."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.monitor.model import IndexedEvent, mask_personal_data
from shared.envelope import Envelope, UnknownEventType

LetterStatus = Literal["pending", "replayed", "discarded"]
DLQ_HEADER_PREFIX = "dlq."


class Replay(BaseModel):
    at: datetime
    by: str
    partition: int
    offset: int
    processed: bool | None = Field(
        default=None, description="Whether the group that failed it has committed past it"
    )


class DeadLetter(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(description="dlq topic:partition:offset")
    seq: str = ""
    dlq_topic: str
    failed_at: str | None
    error: str | None
    error_type: str | None
    consumer_group: str | None
    original_topic: str
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
        return self.model_copy(update={"data": mask_personal_data(self.data)})


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
        original_topic=failure.get("original_topic") or event.topic.removesuffix(".dlq"),
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
    problems: list[str] = Field(description="Why the current schema would reject it")


def dry_run(value: bytes | None) -> DryRun:
    """Validate the record against the envelope and the current contract of its type."""
    try:
        envelope = Envelope.from_bytes(value)
    except ValidationError as error:
        return DryRun(valid=False, event_type=None, problems=_problems("envelope", error))
    except ValueError as error:
        return DryRun(valid=False, event_type=None, problems=[f"not JSON: {error}"])
    try:
        envelope.payload()
    except UnknownEventType:
        problem = f"no contract for type {envelope.type!r}"
        return DryRun(valid=False, event_type=envelope.type, problems=[problem])
    except ValidationError as error:
        return DryRun(valid=False, event_type=envelope.type, problems=_problems("data", error))
    return DryRun(valid=True, event_type=envelope.type, problems=[])


def _problems(where: str, error: ValidationError) -> list[str]:
    return [
        f"{'.'.join([where, *(str(part) for part in item['loc'])])}: {item['msg']}"
        for item in error.errors(include_url=False)
    ]


def replay_headers(headers: dict[str, str], dead_letter_id: str) -> list[tuple[str, bytes]]:
    """The original headers, and one naming the dead letter it was replayed from."""
    kept = [(name, value.encode()) for name, value in headers.items()]
    return [*kept, ("monitor.replayed_from", dead_letter_id.encode())]


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.lstrip("-").isdigit() else None
