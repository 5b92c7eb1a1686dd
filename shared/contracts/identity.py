"""API-key lifecycle events on ``jamp.identity.v1``: every service keeps its own replica."""

from datetime import datetime

from shared.contracts.base import EventPayload, published_as


@published_as("jamp.apikey.issued.v1", stream="identity")
class ApiKeyIssued(EventPayload):
    """An API key was issued; services add it to their replica of the key registry."""

    key_id: str
    key_hash: str
    """HMAC-SHA256 of the key with the server-side pepper; the key itself is never stored."""
    role: str
    scope: str | None
    label: str
    issued_at: datetime


@published_as("jamp.apikey.revoked.v1", stream="identity")
class ApiKeyRevoked(EventPayload):
    """An API key was revoked; services stop accepting it."""

    key_id: str
    revoked_at: datetime
    reason: str
