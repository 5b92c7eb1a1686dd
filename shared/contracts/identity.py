"""People and their API keys on ``jamp.identity.v1``: every service keeps its own replica,
so every service can name the person behind an action."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.contracts.base import EventPayload, published_as


class Actor(BaseModel):
    """Who made a change: the grant it was made with, and the person behind the key (a key
    without a person is shown by its label)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    grant: str
    person_id: str | None = None
    name: str
    key_id: str | None = None
    """The key it was made with, so a change can be traced to the one key that made it
    (a person may hold several of one grant); none for services and the CLI."""


@published_as("jamp.person.registered.v1", stream="identity")
class PersonRegistered(EventPayload):
    """A named person (or a named system) who holds API keys."""

    person_id: str
    kind: Literal["person", "system"]
    name: str
    email: str | None
    language: str
    time_zone: str
    registered_at: datetime
    by: str | None = None
    """Who registered them (the grant, or ``cli``); added to v1 as optional fields, null in
    events published before."""
    by_person: Actor | None = None


@published_as("jamp.person.updated.v1", stream="identity")
class PersonUpdated(EventPayload):
    """A person's details changed: the details as they now are (keyed by the person id, so
    it follows the registration in order), and who changed them."""

    person_id: str
    name: str
    email: str | None
    language: str
    time_zone: str
    updated_at: datetime
    changed: list[str]
    """The fields that differ from before."""
    by: str
    by_person: Actor


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
    person_id: str | None = None
    """The holder (``jamp.person.registered.v1``); null for keys issued before people."""
    person_name: str | None = None
    by: str | None = None
    """Who issued it (an admin's grant, ``cli``, or the companies service for a company's
    own key at registration); optional v1 fields, null in events published before."""
    by_person: Actor | None = None


@published_as("jamp.apikey.relabelled.v1", stream="identity")
class ApiKeyRelabelled(EventPayload):
    """A key without a person is shown by its label, and its label changed: a company's own
    key is named after the company, which was renamed."""

    key_id: str
    label: str
    relabelled_at: datetime
    by: str | None = None
    by_person: Actor | None = None


@published_as("jamp.apikey.revoked.v1", stream="identity")
class ApiKeyRevoked(EventPayload):
    """An API key was revoked; services stop accepting it."""

    key_id: str
    revoked_at: datetime
    reason: str
    by: str | None = None
    """Who revoked it; optional v1 fields, null in events published before."""
    by_person: Actor | None = None
