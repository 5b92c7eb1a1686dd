"""The base of every published event payload and the registry of event types."""

from collections.abc import Callable
from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict


class EventPayload(BaseModel):
    """A published fact. Unknown fields are ignored so newer producers never break consumers."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    stream: ClassVar[str]
    """The owner whose topic carries it: ``jamp.<stream>.v1``."""


EVENT_TYPES: dict[str, type[EventPayload]] = {}

P = TypeVar("P", bound=type[EventPayload])


def published_as(type_name: str, stream: str) -> Callable[[P], P]:
    """Register a payload model under its CloudEvents ``type`` (``jamp.<noun>.<verb>.v<n>``)
    and the stream it is published on."""

    def register(model: P) -> P:
        if type_name in EVENT_TYPES:
            raise ValueError(f"event type {type_name} registered twice")
        model.event_type = type_name
        model.stream = stream
        EVENT_TYPES[type_name] = model
        return model

    return register
