"""The published events as one AsyncAPI 3 document, generated from the registered models."""

from typing import Any

from pydantic.json_schema import models_json_schema

from shared.contracts.base import EVENT_TYPES, EventPayload
from shared.topics import Topics, streams

REF = "#/components/schemas/{model}"
HEADERS = {
    "type": "object",
    "description": "CloudEvents attributes repeated as Kafka headers (structured mode value)",
    "properties": {
        name: {"type": "string"}
        for name in (
            "ce_specversion",
            "ce_id",
            "ce_source",
            "ce_type",
            "ce_subject",
            "ce_time",
            "correlationid",
            "traceparent",
            "content-type",
        )
    },
}


def build_asyncapi(topic_prefix: str, version: str) -> dict[str, Any]:
    topics = Topics(topic_prefix)
    models = sorted(EVENT_TYPES.values(), key=lambda model: model.event_type)
    refs, defs = models_json_schema(
        [(model, "serialization") for model in models], ref_template=REF
    )
    messages = {
        _message_name(model): _message(model, refs[(model, "serialization")]) for model in models
    }
    channels = {
        stream: {
            "address": topics.of(stream),
            "description": f"Events of the {stream} stream, keyed by aggregate id",
            "messages": {
                _message_name(model): {"$ref": f"#/components/messages/{_message_name(model)}"}
                for model in models
                if model.stream == stream
            },
        }
        for stream in streams()
    }
    operations = {
        f"publish_{stream}": {
            "action": "send",
            "channel": {"$ref": f"#/channels/{stream}"},
            "summary": f"The {stream} service publishes through its transactional outbox",
        }
        for stream in channels
    }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "JAMP Desk events", "version": version},
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": defs.get("$defs", {})},
    }


def _message_name(model: type[EventPayload]) -> str:
    return model.__name__


def _message(model: type[EventPayload], data_schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": model.event_type,
        "title": model.__name__,
        "summary": (model.__doc__ or model.event_type).strip().splitlines()[0],
        "contentType": "application/cloudevents+json",
        "headers": HEADERS,
        "payload": {
            "type": "object",
            "description": "CloudEvents 1.0 envelope",
            "required": ["specversion", "id", "source", "type", "time", "subject", "data"],
            "properties": {
                "specversion": {"const": "1.0"},
                "id": {"type": "string", "format": "uuid"},
                "source": {"type": "string"},
                "type": {"const": model.event_type},
                "time": {"type": "string", "format": "date-time"},
                "subject": {"type": "string", "description": "The aggregate id (record key)"},
                "datacontenttype": {"const": "application/json"},
                "correlationid": {"type": "string"},
                "traceparent": {"type": "string"},
                "data": data_schema,
            },
        },
    }
