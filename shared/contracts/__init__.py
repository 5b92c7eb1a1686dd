"""The published event contracts: every payload model, registered by its CloudEvents type."""

from shared.contracts import (
    companies,
    identity,
    inquiries,
    matching,
    monitor,
    notifications,
    proposals,
)
from shared.contracts.base import EVENT_TYPES, EventPayload, published_as

__all__ = [
    "EVENT_TYPES",
    "EventPayload",
    "companies",
    "identity",
    "inquiries",
    "matching",
    "monitor",
    "notifications",
    "proposals",
    "published_as",
]
