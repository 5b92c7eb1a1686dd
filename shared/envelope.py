"""The CloudEvents 1.0 envelope around every event, and its Kafka record form.

Records use the structured content mode (the value is the whole envelope as JSON); the
identifying attributes are repeated as ``ce_*`` headers, with ``correlationid`` and
``traceparent``, so brokers, consoles and tracing can route without parsing the value.
"""

import uuid
from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from shared.clock import utc_now
from shared.contracts import EVENT_TYPES, EventPayload
from shared.tracing import accepted_id, child_traceparent

Headers = list[tuple[str, bytes]]
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


class UnknownEventType(LookupError):
    """The envelope names a type this build has no contract for."""


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    time: datetime = Field(default_factory=lambda: utc_now())
    subject: str
    datacontenttype: Literal["application/json"] = "application/json"
    correlationid: str
    traceparent: str
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        payload: EventPayload,
        *,
        source: str,
        subject: str,
        correlation_id: str | None = None,
        traceparent: str | None = None,
    ) -> "Envelope":
        """Envelope a payload; a missing (or unsafe) correlation id starts a new one."""
        event_id = str(uuid.uuid4())
        return cls(
            id=event_id,
            source=source,
            type=payload.event_type,
            subject=subject,
            correlationid=accepted_id(correlation_id) or event_id,
            traceparent=child_traceparent(traceparent),
            data=payload.model_dump(mode="json"),
        )

    def payload(self) -> EventPayload:
        """The typed payload; raises UnknownEventType or pydantic's ValidationError."""
        model = EVENT_TYPES.get(self.type)
        if model is None:
            raise UnknownEventType(self.type)
        return model.model_validate(self.data)

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))

    @classmethod
    def from_bytes(cls, raw: bytes | None) -> "Envelope":
        return cls.model_validate(orjson.loads(raw or b"null"))

    def kafka_headers(self) -> Headers:
        attributes = {
            "ce_specversion": self.specversion,
            "ce_id": self.id,
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_subject": self.subject,
            "ce_time": self.time.isoformat(),
            "correlationid": self.correlationid,
            "traceparent": self.traceparent,
            "content-type": CONTENT_TYPE,
        }
        return [(name, value.encode()) for name, value in attributes.items()]
