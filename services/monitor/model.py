"""What the monitor knows of one Kafka record, and the rules for showing it. Pure: no I/O."""

from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.envelope import Envelope
from shared.http.pagination import PageQuery
from shared.topics import DLQ_SUFFIX

MASK = "***"
# Personal data in payloads: a contact person's fields, and any e-mail or phone number.
CONTACT_FIELDS = frozenset({"contact", "contact_person"})
PERSONAL_FIELDS = frozenset({"email", "phone"})


class RawRecord(BaseModel):
    """A Kafka record as the tail consumer hands it over."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = []


class IndexedEvent(BaseModel):
    """One record of any topic: the envelope's attributes where it has a readable one."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="topic:partition:offset")
    seq: str = Field(default="", description="Order in which the monitor saw it")
    topic: str
    partition: int
    offset: int
    timestamp: datetime
    key: str | None
    headers: dict[str, str]
    event_id: str | None = None
    type: str | None = None
    source: str | None = None
    subject: str | None = None
    correlation_id: str | None = None
    time: datetime | None = None
    data: Any = None
    raw: str | None = Field(default=None, description="The value, when it is not JSON")
    envelope_error: str | None = Field(default=None, description="Why it is no valid envelope")
    dead_letter: bool = False
    refs: list[str] = Field(default=[], description="Ids the payload mentions (*_id fields)")

    def masked(self) -> "IndexedEvent":
        """The event as an operator who is not an admin sees it: no contact details."""
        return self.model_copy(update={"data": mask_personal_data(self.data)})

    def searchable_text(self) -> str:
        # Built from the masked form: free text must not find people by their contact details.
        return orjson.dumps(self.masked().model_dump(mode="json", exclude={"seq"})).decode().lower()


def coordinates(topic: str, partition: int, offset: int) -> str:
    return f"{topic}:{partition}:{offset}"


def index_entry(record: RawRecord) -> IndexedEvent:
    """Index any record: an unreadable one is kept with the reason, never dropped."""
    base: dict[str, Any] = {
        "id": coordinates(record.topic, record.partition, record.offset),
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": datetime.fromtimestamp(record.timestamp_ms / 1000, UTC),
        "key": _text(record.key),
        "headers": {name: _text(value) or "" for name, value in record.headers},
        "dead_letter": record.topic.endswith(DLQ_SUFFIX),
    }
    try:
        document = orjson.loads(record.value or b"null")
    except orjson.JSONDecodeError:
        return IndexedEvent(**base, raw=_text(record.value), envelope_error="not JSON")
    return IndexedEvent(**base, **_envelope_fields(document))


def _envelope_fields(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        return {"data": document, "envelope_error": "not a JSON object"}
    fields: dict[str, Any] = {
        "event_id": _str(document.get("id")),
        "type": _str(document.get("type")),
        "source": _str(document.get("source")),
        "subject": _str(document.get("subject")),
        "correlation_id": _str(document.get("correlationid")),
        "data": document.get("data"),
        "refs": sorted(referenced_ids(document.get("data"))),
    }
    try:
        fields["time"] = Envelope.model_validate(document).time
    except ValidationError as error:
        fields["envelope_error"] = _first_error(error)
    return fields


def referenced_ids(value: Any) -> set[str]:
    """Every string under a key named ``*_id`` at any depth: what a trace can follow."""
    found: set[str] = set()
    if isinstance(value, dict):
        for name, inner in value.items():
            if name.endswith("_id") and isinstance(inner, str):
                found.add(inner)
            found |= referenced_ids(inner)
    elif isinstance(value, list):
        for item in value:
            found |= referenced_ids(item)
    return found


def mask_personal_data(value: Any, inside_contact: bool = False) -> Any:
    if isinstance(value, dict):
        return {name: _mask_field(name, inner, inside_contact) for name, inner in value.items()}
    if isinstance(value, list):
        return [mask_personal_data(item, inside_contact) for item in value]
    if inside_contact and isinstance(value, str):
        return MASK
    return value


def _mask_field(name: str, value: Any, inside_contact: bool) -> Any:
    if name in PERSONAL_FIELDS and isinstance(value, str):
        return MASK
    return mask_personal_data(value, inside_contact or name in CONTACT_FIELDS)


def _first_error(error: ValidationError) -> str:
    item = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in item["loc"])
    return f"{where}: {item['msg']}"


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", errors="replace")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class EventQuery(PageQuery):
    limit: int = Field(default=50, ge=1, le=500)
    topic: str | None = None
    type: str | None = None
    subject: str | None = None
    correlation_id: str | None = None
    q: str | None = Field(default=None, max_length=200, description="Free text, any field")
