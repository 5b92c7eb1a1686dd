"""The admin API of people: register a person (or named system) and issue their keys.

The monitor is the console of operators and admins, so it hosts the API; the person and
keys are written to its replica and published on ``jamp.identity.v1`` in one transaction
(as the companies service issues company keys), so every service knows them.
"""

from datetime import datetime
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.monitor.events.repository import EventIndex
from services.monitor.keys import AUDIT, INDEX
from services.monitor.operators.repository import AuditLog
from services.monitor.routes import ERRORS, STAFF, shown
from shared.auth import KeyReplica, Role, allow, parse_grant
from shared.clock import utc_now
from shared.contracts import EventPayload
from shared.contracts.companies import CompanyRegistered
from shared.contracts.identity import ApiKeyRevoked
from shared.contracts.proposals import CityAdded
from shared.contracts.vocabulary import UNIQUE
from shared.http.appkeys import KEYS
from shared.http.endpoints import ApiRoutes, trace_of
from shared.http.problems import ONE_LINE, Conflict, InvalidInput, NotFound
from shared.identity import (
    AddPerson,
    ChangePerson,
    IdentityEvent,
    person_changed,
    person_with_keys,
    record_identity,
)
from shared.masking import MASK
from shared.mongo import Document
from shared.platform import PLATFORM, Platform, Trace, unit_of_work

people_api = ApiRoutes("people", errors=ERRORS)


class Person(BaseModel):
    person_id: str
    kind: str
    name: str
    email: str | None
    language: str
    time_zone: str
    registered_at: datetime
    grants: list[str] = Field(description="Grants of the person's keys that are not revoked")

    def masked(self) -> "Person":
        """As an operator sees it: a person's address is a contact detail, for admins only."""
        return self.model_copy(update={"email": None if self.email is None else MASK})


class NewKey(BaseModel):
    grant: str
    key_id: str
    api_key: str = Field(description="Shown only this once; stored only as a hash")


class NewPerson(BaseModel):
    person: Person
    keys: list[NewKey]


class RevokeKeys(BaseModel):
    """Which of the person's keys to revoke, and why (every service stops accepting them)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"reason": "moved to the Bangkok embassy", "grants": ["desk:VN"]}]
        },
    )

    reason: str = Field(min_length=1, max_length=200, pattern=ONE_LINE)
    grants: Annotated[list[str], UNIQUE] | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        description="The grants whose keys are revoked; left out, every key: the person "
        "leaves the desk (their open inquiries go back to the queue, their mail stops)",
    )


class People(BaseModel):
    items: list[Person]

    def masked(self) -> "People":
        return People(items=[person.masked() for person in self.items])


async def add_person(
    command: AddPerson, *, platform: Platform, registry: KeyReplica, audit: AuditLog,
    events: EventIndex, trace: Trace,
) -> NewPerson:  # fmt: skip
    """The person, their keys and an audit entry naming the admin, in one transaction (the
    identity events name the admin too)."""
    try:
        person, keys = person_with_keys(command, platform.settings.pepper())
    except ValueError as error:
        raise _invalid(error) from None
    await _check_grantees(command.grants, events)
    async with unit_of_work(platform, trace) as uow:
        await record_identity(registry, uow, [person, *(key.event for key in keys)])
        issued = {"grants": [key.grant for key in keys], "key_ids": [k.event.key_id for k in keys]}
        await audit.record(trace.by, "person.register", person.person_id, issued, uow.session)
    return NewPerson(
        person=Person(**person.model_dump(), grants=[key.grant for key in keys]),
        keys=[
            NewKey(grant=key.grant, key_id=key.event.key_id, api_key=key.plaintext) for key in keys
        ],
    )


async def change_person(
    person_id: str, command: ChangePerson, *, platform: Platform, registry: KeyReplica,
    audit: AuditLog, trace: Trace,
) -> Person:  # fmt: skip
    """New details are published as ``person.updated``, so each service's replica (and the
    mail notifications send) follows them, and audited with what they were: a changed
    address redirects the person's mail. Nothing changed publishes and audits nothing."""
    async with unit_of_work(platform, trace) as uow:
        known = await registry.person(person_id, uow.session)
        if known is None or "kind" not in known:
            raise NotFound(f"no person {person_id}")
        try:
            changed = person_changed(known, command, uow.trace.by, utc_now())
        except ValueError as error:
            raise _invalid(error) from None
        if changed is not None:
            await record_identity(registry, uow, [changed])
            details = {
                field: {"before": known.get(field), "after": getattr(changed, field)}
                for field in changed.changed
            }
            await audit.record(trace.by, "person.update", person_id, details, uow.session)
        person = await registry.person(person_id, uow.session) or known
    return await _as_now(person, registry)


async def revoke_keys(
    person_id: str, command: RevokeKeys, *, platform: Platform, registry: KeyReplica,
    audit: AuditLog, trace: Trace,
) -> Person:  # fmt: skip
    """Revoke the person's keys of the named grants (all of them when none are named), as
    one audited change: each revocation is published, so every service stops accepting the
    key, and a person left without a desk's key leaves that desk's queues and inquiries.

    An admin does not revoke their own admin key here: the last admin would lock the desk
    out of its console, and another admin (or ``jamp keys revoke``) can."""
    async with unit_of_work(platform, trace) as uow:
        known = await registry.person(person_id, uow.session)
        if known is None or "kind" not in known:
            raise NotFound(f"no person {person_id}")
        held = await registry.active_keys_of(person_id, uow.session)
        revoked = _chosen(held, command.grants)
        if not revoked:
            raise Conflict(f"{known['name']} has no key left to revoke")
        if person_id == trace.person_id and "admin" in revoked.values():
            raise Conflict("an admin's own admin key is revoked by another admin")
        now = utc_now()
        events: list[IdentityEvent] = [
            ApiKeyRevoked(key_id=key_id, revoked_at=now, reason=command.reason)
            for key_id in revoked
        ]
        await record_identity(registry, uow, events)
        details = {"key_ids": list(revoked), "grants": sorted(set(revoked.values())),
                   "reason": command.reason}  # fmt: skip
        await audit.record(trace.by, "person.revoke", person_id, details, uow.session)
    return await _as_now(known, registry)


def _chosen(held: dict[str, str], grants: list[str] | None) -> dict[str, str]:
    """The held keys of these grants, or all; a grant the person does not hold is named."""
    if grants is None:
        return held
    for index, grant in enumerate(grants):
        if grant not in held.values():
            raise InvalidInput.single(
                f"body.grants.{index}", f"the person holds no unrevoked key for {grant!r}"
            )
    return {key_id: grant for key_id, grant in held.items() if grant in grants}


GRANTEES: dict[Role, type[EventPayload]] = {Role.COMPANY: CompanyRegistered, Role.CITY: CityAdded}
"""A company or city key names an organisation: one the desk has told of, by the event
its owning service published when it came to be (the monitor reads every stream and owns
no copy of theirs; ``jamp keys create`` asks their databases instead)."""


async def _check_grantees(grants: list[str], events: EventIndex) -> None:
    for index, grant in enumerate(grants):
        role, scope = parse_grant(grant)
        told_by = GRANTEES.get(role)
        if scope is None or told_by is None:
            continue
        if not await events.told_of(scope, {told_by.event_type}):
            raise InvalidInput.single(
                f"body.grants.{index}",
                f"no {role} {scope!r} is known: no {told_by.event_type} event names it"
                " (one registered a moment ago is known once the monitor has read it)",
            )


def _invalid(error: ValueError) -> InvalidInput:
    """The person's rules say "field: why"; a grant's rules name no field."""
    field, _, message = str(error).partition(": ")
    if field in AddPerson.model_fields:
        return InvalidInput.single(f"body.{field}", message)
    return InvalidInput.single("body.grants", str(error))


async def list_people(registry: KeyReplica) -> People:
    people = await registry.list_people()
    return People(items=[await _as_now(person, registry) for person in people])


async def _as_now(person: Document, registry: KeyReplica) -> Person:
    """The person as the registry holds them, with the grants of their unrevoked keys (read
    after the transaction that changed them, so what it revoked is gone)."""
    grants = sorted(await registry.grants_of(person["_id"]))
    return Person(**person, person_id=person["_id"], grants=grants)


@people_api.post(
    "/api/people",
    summary="Register a person or named system and issue one key per grant",
    access=allow(Role.ADMIN),
    body=AddPerson,
    response=NewPerson,
    status=201,
)
async def register(request: web.Request, body: AddPerson) -> NewPerson:
    platform, registry = request.app[PLATFORM], request.app[KEYS]
    return await add_person(
        body, platform=platform, registry=registry, audit=request.app[AUDIT],
        events=request.app[INDEX], trace=trace_of(request),
    )  # fmt: skip


@people_api.patch(
    "/api/people/{person_id}",
    summary="Change a person's name, e-mail, language or time zone",
    access=allow(Role.ADMIN),
    body=ChangePerson,
    response=Person,
    problems=(404, 422),
)
async def change(request: web.Request, body: ChangePerson) -> Person:
    platform, registry = request.app[PLATFORM], request.app[KEYS]
    return await change_person(
        request.match_info["person_id"], body, platform=platform, registry=registry,
        audit=request.app[AUDIT], trace=trace_of(request),
    )  # fmt: skip


@people_api.post(
    "/api/people/{person_id}/revoke",
    summary="Revoke a person's keys: those of some grants, or all (the person leaves)",
    access=allow(Role.ADMIN),
    body=RevokeKeys,
    response=Person,
    problems=(404, 409, 422),
)
async def revoke(request: web.Request, body: RevokeKeys) -> Person:
    platform, registry = request.app[PLATFORM], request.app[KEYS]
    return await revoke_keys(
        request.match_info["person_id"], body, platform=platform, registry=registry,
        audit=request.app[AUDIT], trace=trace_of(request),
    )  # fmt: skip


@people_api.get(
    "/api/people", summary="Every person and their grants", access=STAFF, response=People
)
async def people(request: web.Request) -> People:
    return shown(request, await list_people(request.app[KEYS]))
