"""What the monitor knows of one Kafka record, and the rules for showing it. Pure: no I/O."""

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.monitor.events.storable import field_name, record_time, unstorable
from services.monitor.masking import mask_personal_data, text_without_secrets, without_secrets
from shared.envelope import Envelope
from shared.http.pagination import PageQuery
from shared.masking import mask_optional_text, mask_text
from shared.text import query_terms
from shared.topics import DLQ_SUFFIX

# Event ids that can be part of a key as they are; any other record is keyed as raw.
_KEYABLE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RawRecord(BaseModel):
    """A Kafka record as the tail consumer hands it over."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]] = []  # Kafka allows a header without a value


class IndexedEvent(BaseModel):
    """One record of any topic: the envelope's attributes where it has a readable one."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(
        description="topic:event id:digest, or topic:partition:offset:digest for a record "
        "without an event id (see record_id)"
    )
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
        return self.model_copy(
            update={
                **masked_fields(self),
                "type": mask_optional_text(self.type),
                "source": mask_optional_text(self.source),
                "refs": [mask_text(ref) for ref in self.refs],
            }
        )

    def search_terms(self) -> list[str]:
        """The words free text finds it by. Taken from the masked form: a search must not
        find people by their contact details.

        Exactly the terms a query of the same text looks up (``query_terms``): Japanese by
        bigrams, a lone character only where it stands alone. A single character inside a
        longer run (each of 株式会社 in nearly every company's name) was a fifth of a
        registration's index keys here and, as a search of the whole stream, finds too
        much to be one (names are found by any two characters in a row)."""
        shown = self.masked().model_dump(mode="json", exclude=_NOT_SEARCHED)
        return sorted(query_terms(" ".join(_strings(shown))[:SEARCHED_CHARS]))


# A huge record (a body that is no event, say) must not make a huge index entry.
SEARCHED_CHARS = 32_000
# Positions, times and the headers (which repeat the envelope) would only bloat the terms.
_NOT_SEARCHED = {"id", "seq", "partition", "offset", "timestamp", "time", "headers", "dead_letter"}
# So would the times in a payload (``registered_at``…): each fell apart into ~6 terms such
# as "29t12" and "876823z" that nobody searches, a quarter of a small event's index keys.
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")


class PersonalFields(Protocol):
    """What an event and a dead letter have in common that can carry contact details."""

    @property
    def key(self) -> str | None: ...
    @property
    def event_id(self) -> str | None: ...
    @property
    def headers(self) -> dict[str, str]: ...
    @property
    def data(self) -> Any: ...
    @property
    def raw(self) -> str | None: ...
    @property
    def subject(self) -> str | None: ...
    @property
    def correlation_id(self) -> str | None: ...


def masked_fields(record: PersonalFields) -> dict[str, Any]:
    """The fields of an event or dead letter that can carry contact details, masked: all
    that whoever wrote the record chose, not only its payload (the envelope's id, subject
    and correlation id, the names of headers and payload fields too)."""
    return {
        "key": mask_optional_text(record.key),
        "event_id": mask_optional_text(record.event_id),
        "headers": mask_personal_data(record.headers),
        "data": mask_personal_data(record.data),
        "raw": mask_optional_text(record.raw),
        "subject": mask_optional_text(record.subject),
        "correlation_id": mask_optional_text(record.correlation_id),
    }


# Prose: a company's statement, a reference's or proposal's description, the body of an
# inquiry's message, a match thread's message or a mailed reply, a word sent with a match's
# answer. An operator finds an event by what names things (ids, names, titles, types,
# tags, keys, cities); words of prose are what the owning service's own search finds
# (companies' ``q`` searches the statement) and a trace then lists that thing's events.
# Prose is most of a payload's words (a statement may run to 5,000 characters) and each
# word is one more index key on every event that carries it.
PROSE = frozenset({"capability_statement", "description", "body", "message"})


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for name, inner in value.items():
            if name not in PROSE:
                yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)
    elif isinstance(value, str):
        if not _TIME.fullmatch(value):
            yield value
    elif value is not None:
        yield str(value)


def record_id(record: RawRecord, event_id: str | None) -> str:
    """The index key of a record. Offsets start again from 0 when a broker comes back empty,
    so they cannot name a record alone. An event is named by its topic and id; the digest
    of its key, value and headers tells its records apart (dead letters of several
    failures, replays) but not the same record read twice. A record without a usable id
    is named by its place and a digest that includes its timestamp: the same offset in a
    new broker's log holds another record, written at another time."""
    content = [record.topic, _hex(record.key), _hex(record.value)]
    content += [f"{name}={_hex(value)}" for name, value in record.headers]
    if event_id is not None and _keyable(event_id):
        return f"{record.topic}:{event_id}:{_digest(content)}"
    content += [str(record.partition), str(record.offset), str(record.timestamp_ms)]
    return f"{record.topic}:{record.partition}:{record.offset}:{_digest(content)}"


def _keyable(event_id: str) -> bool:
    """Whether an event id may be part of a key. Everyone is shown keys as they are (a
    record is opened by its key), so an id that reads as a phone number may not."""
    return bool(_KEYABLE_ID.fullmatch(event_id)) and mask_text(event_id) == event_id


def _digest(parts: list[str]) -> str:
    return hashlib.blake2b(orjson.dumps(parts), digest_size=8).hexdigest()


def _hex(raw: bytes | None) -> str:
    return "-" if raw is None else raw.hex()


def index_entry(record: RawRecord) -> IndexedEvent:
    """Index any record: an unreadable one is kept with the reason, never dropped. An API
    key's hash is masked here, before anything is stored: nobody is shown it. JSON that
    the index cannot hold as it is (see ``storable``) is kept as text, with the envelope
    attributes it names."""
    text = record.value or b"null"
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _as_text(record, "not JSON", {})
    problem = unstorable(document, text)
    if problem is not None:
        return _as_text(record, f"kept as text: {problem}", _attributes(document))
    fields = _envelope_fields(without_secrets(document))
    return IndexedEvent(**_place(record), id=record_id(record, fields.get("event_id")), **fields)


def unreadable_entry(record: RawRecord, reason: str) -> IndexedEvent:
    """The least a record is indexed with when even its entry could not be stored: where
    it sits, when it was written and why nothing more (no key, headers or value)."""
    return IndexedEvent(
        id=record_id(record, None),
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp=record_time(record.timestamp_ms),
        key=None,
        headers={},
        envelope_error=reason,
        dead_letter=record.topic.endswith(DLQ_SUFFIX),
    )


def _place(record: RawRecord) -> dict[str, Any]:
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record_time(record.timestamp_ms),
        "key": _text(record.key),
        "headers": {field_name(name): _text(value) or "" for name, value in record.headers},
        "dead_letter": record.topic.endswith(DLQ_SUFFIX),
    }


def _as_text(record: RawRecord, reason: str, attributes: dict[str, Any]) -> IndexedEvent:
    raw = text_without_secrets(_text(record.value) or "")
    entry_id = record_id(record, attributes.get("event_id"))
    return IndexedEvent(**_place(record), **attributes, id=entry_id, raw=raw, envelope_error=reason)


def _attributes(document: Any) -> dict[str, Any]:
    """The envelope's attributes that a JSON object names (strings at its top level)."""
    if not isinstance(document, dict):
        return {}
    return {
        "event_id": _str(document.get("id")),
        "type": _str(document.get("type")),
        "source": _str(document.get("source")),
        "subject": _str(document.get("subject")),
        "correlation_id": _str(document.get("correlationid")),
    }


def _envelope_fields(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        return {"data": document, "envelope_error": "not a JSON object"}
    fields: dict[str, Any] = {
        **_attributes(document),
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


def _first_error(error: ValidationError) -> str:
    item = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in item["loc"])
    return f"{where}: {item['msg']}"


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", errors="replace")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


FILTER_FIELDS = ("topic", "type", "subject", "correlation_id")
"""The filter's fields an event must equal (``?topic=`` is a topic: none has it)."""


class EventFilter(BaseModel):
    """Which events a reader follows: the first page of the tail and the live tail after it
    match by this one rule, so a row the list would not show never streams in."""

    model_config = ConfigDict(extra="forbid")

    topic: str | None = None
    type: str | None = None
    subject: str | None = None
    correlation_id: str | None = None
    q: str | None = Field(
        default=None,
        max_length=200,
        description="Free text: whole words of ids, names, titles, types, tags and keys "
        "(not of prose such as a statement, a description or a message's body)",
    )

    def named(self) -> list[str | None]:
        """The values an event must equal (a lookup by them, not a search of words)."""
        return [getattr(self, name) for name in FILTER_FIELDS]

    def matches(self, event: IndexedEvent) -> bool:
        """As the index answers the same query: the fields equal, every term of ``q`` among
        the event's search terms."""
        if any(getattr(self, name) not in (None, getattr(event, name)) for name in FILTER_FIELDS):
            return False
        return not self.q or query_terms(self.q) <= set(event.search_terms())


class EventQuery(PageQuery, EventFilter):
    limit: int = Field(default=50, ge=1, le=500)
