"""Records for the monitor to find: events enveloped as services publish them, and dead
letters produced exactly as the consumer runner's DeadLetterPublisher produces them."""

import time
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer, ConsumerRecord

from shared.auth import Role, issue_key
from shared.contracts.identity import ApiKeyIssued
from shared.dead_letters import dead_letter_headers
from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import dead_letter_topic


def key_issued(settings: ServiceSettings, role: Role = Role.OPERATOR) -> tuple[str, Envelope]:
    """A real key's issue event; the plaintext key authenticates once a replica applies it."""
    issued = issue_key(role, None, "replayed key", settings.pepper())
    envelope = Envelope.wrap(issued.event, source="identity", subject=issued.event.key_id)
    return issued.plaintext, envelope


def broken_key_event() -> Envelope:
    """An issue event whose payload the current schema rejects (no key_hash)."""
    event = ApiKeyIssued(
        key_id="0" * 16, key_hash="x", role="operator", scope=None, label="broken",
        issued_at=datetime.now(UTC),
    )  # fmt: skip
    envelope = Envelope.wrap(event, source="identity", subject=event.key_id)
    data = {name: value for name, value in envelope.data.items() if name != "key_hash"}
    return envelope.model_copy(update={"data": data})


async def dead_letter(
    producer: AIOKafkaProducer,
    topic: str,
    envelope: Envelope,
    group: str,
    error: BaseException,
    offset: int = 7,
    to: str | None = None,
) -> None:
    """As if ``group`` had failed the record at ``topic``:0:``offset``; written to the
    topic's DLQ, or to the topic ``to`` (as a forger with write access to it would)."""
    failed = ConsumerRecord(
        topic=topic, partition=0, offset=offset, timestamp=int(time.time() * 1000),
        timestamp_type=0, key=envelope.subject.encode(), value=envelope.to_bytes(),
        checksum=None, serialized_key_size=0, serialized_value_size=0,
        headers=envelope.kafka_headers(),
    )  # fmt: skip
    await producer.send_and_wait(
        to or dead_letter_topic(topic),
        value=failed.value,
        key=failed.key,
        headers=dead_letter_headers(failed, group, error),
    )
