"""Writing identity events (people and their keys) to a registry and publishing them on
``jamp.identity.v1`` in the caller's transaction: the CLI's ledger and the admin API use it,
as the companies service does for company keys."""

from datetime import datetime
from typing import Annotated, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.auth import IssuedKey, KeyReplica, issue_key, parse_grant, register_person
from shared.auth.keys import checked_name
from shared.contracts.identity import (
    Actor,
    ApiKeyIssued,
    ApiKeyRelabelled,
    ApiKeyRevoked,
    PersonRegistered,
    PersonUpdated,
)
from shared.contracts.vocabulary import UNIQUE
from shared.http.partial import Omittable
from shared.http.problems import ONE_LINE
from shared.mongo import Document
from shared.platform import Trace, UnitOfWork

IdentityEvent = PersonRegistered | PersonUpdated | ApiKeyIssued | ApiKeyRevoked | ApiKeyRelabelled
DETAILS = ("name", "email", "language", "time_zone")
"""A person's details that may change after registration (kind and keys do not)."""


class AddPerson(BaseModel):
    """A person (or named system) and the grants to issue them keys for."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "Consul Sato",
                    "email": "sato@example.go.jp",
                    "language": "ja",
                    "time_zone": "Asia/Ho_Chi_Minh",
                    "grants": ["desk:VN"],
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200, pattern=ONE_LINE)
    email: str | None = Field(default=None, max_length=254)
    language: str = Field(default="en", pattern="^[a-z]{2}$")
    time_zone: str = Field(default="Asia/Tokyo", max_length=64)
    kind: str = Field(default="person", pattern="^(person|system)$")
    grants: Annotated[list[str], UNIQUE] = Field(min_length=1, max_length=10)


class ChangePerson(BaseModel):
    """The details to change; a field left out keeps its value."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"email": "sato@hanoi.example.go.jp", "language": "en"}],
            "minProperties": 1,
        },
    )

    # Left out keeps the detail; null is refused rather than read as "keep" (a person has
    # every one of them).
    name: Omittable[Annotated[str, Field(min_length=1, max_length=200, pattern=ONE_LINE)]] = None
    email: Omittable[Annotated[str, Field(max_length=254)]] = None
    language: Omittable[Annotated[str, Field(pattern="^[a-z]{2}$")]] = None
    time_zone: Omittable[Annotated[str, Field(max_length=64)]] = None

    @model_validator(mode="after")
    def _names_a_change(self) -> "ChangePerson":
        # An empty change is a client's mistake (a lost body, a misspelt form), not a no-op.
        if not self.model_fields_set:
            raise ValueError("name at least one of name, email, language, time_zone")
        return self


def person_changed(
    known: Document, command: ChangePerson, by: Actor, at: datetime
) -> PersonUpdated | None:
    """The person after the change, or None when nothing differs; raises ValueError naming
    the field when the details no longer hold."""
    wanted = command.model_dump(exclude_none=True)
    details = {field: wanted.get(field, known.get(field)) for field in DETAILS}
    details["name"] = checked_name(
        details["name"] or "", email=details["email"], time_zone=details["time_zone"] or "",
        kind=known.get("kind", "person"),
    )  # fmt: skip
    changed = [field for field in DETAILS if details[field] != known.get(field)]
    if not changed:
        return None
    return PersonUpdated(
        person_id=known["_id"], **details, updated_at=at, changed=changed,
        by=by.grant, by_person=by,
    )  # fmt: skip


def person_with_keys(command: AddPerson, pepper: str) -> tuple[PersonRegistered, list[IssuedKey]]:
    """The person and one key per grant; raises ValueError naming what is wrong."""
    person = register_person(
        command.name,
        email=command.email,
        language=command.language,
        time_zone=command.time_zone,
        kind="system" if command.kind == "system" else "person",
    )
    parsed = [parse_grant(grant) for grant in command.grants]  # all valid, or nothing is issued
    keys = [issue_key(role, scope, person.name, pepper, person) for role, scope in parsed]
    return person, keys


E = TypeVar("E", bound=IdentityEvent)


def made_by(event: E, trace: Trace) -> E:
    """The event naming who made it, the trace's actor, unless it already names someone."""
    if event.by is not None:
        return event
    # model_copy keeps the type; mypy sees the bound's union through the attribute.
    return cast(E, event.model_copy(update={"by": trace.actor, "by_person": trace.by}))


async def record_identity(
    registry: KeyReplica, uow: UnitOfWork, events: list[IdentityEvent]
) -> None:
    """Write each identity event to a registry and publish it, in the caller's transaction,
    each naming who made it (the unit of work's actor) unless it already does."""
    for event in events:
        event = made_by(event, uow.trace)
        if isinstance(event, PersonRegistered):
            await registry.record_person(event, uow.session)
            await uow.publish(event.person_id, event)
        elif isinstance(event, PersonUpdated):
            await registry.record_person_updated(event, uow.session)
            await uow.publish(event.person_id, event)
        elif isinstance(event, ApiKeyIssued):
            await registry.record_issued(event, uow.session)
            await uow.publish(event.key_id, event)
        elif isinstance(event, ApiKeyRelabelled):
            await registry.record_relabelled(event, uow.session)
            await uow.publish(event.key_id, event)
        else:
            await registry.record_revoked(event, uow.session)
            await uow.publish(event.key_id, event)
