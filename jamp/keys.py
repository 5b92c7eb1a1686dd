"""``jamp keys``: the key ledger (database ``<prefix>identity``) and its outbox.

Keys the CLI issues or revokes are written to the ledger with their event in one
transaction, then published on the identity stream, from which every service keeps its
replica. Company keys are issued by the companies service the same way. City and company
keys are issued only for ids their owning services know (``grantees.py``).
"""

import getpass
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from jamp.dev import SERVICES
from jamp.grantees import check_grantee
from shared.auth import IssuedKey, KeyReplica, Role, issue_key, parse_grant
from shared.auth.keys import LEDGER
from shared.clock import utc_now
from shared.contracts.identity import Actor, ApiKeyRevoked, PersonRegistered, PersonUpdated
from shared.identity import (
    AddPerson,
    ChangePerson,
    IdentityEvent,
    person_changed,
    person_with_keys,
    record_identity,
)
from shared.metrics import ServiceMetrics
from shared.mongo import Document, create_client, retrying_transactions
from shared.outbox import Outbox
from shared.outbox_migration import prepare_outbox
from shared.platform import Platform, Trace, outbox_relay, unit_of_work
from shared.settings import ServiceSettings
from shared.topics import Topics


@dataclass(frozen=True)
class Published:
    pending: int
    """Ledger events not yet on Kafka (the broker was unreachable)."""


def _platform(settings: ServiceSettings) -> Platform:
    mongo = create_client(settings.mongodb_uri)
    database = mongo[settings.database_name(LEDGER)]
    return Platform(LEDGER, settings, mongo, database, Outbox(database["outbox"]),
                    Topics(settings.topic_prefix))  # fmt: skip


async def create_key(
    settings: ServiceSettings, grant: str, label: str
) -> tuple[IssuedKey, Published]:
    role, scope = parse_grant(grant)
    await check_grantee(settings, role, scope)
    key = issue_key(role, scope, label, settings.pepper())
    return key, await _record(settings, [key.event])


async def add_person(
    settings: ServiceSettings, command: AddPerson
) -> tuple[PersonRegistered, list[IssuedKey], Published]:
    """Register the person and issue one key per grant, labelled with the person's name."""
    person, keys = person_with_keys(command, settings.pepper())
    for key in keys:  # city and company grants only for ids their services know
        await check_grantee(settings, Role(key.event.role), key.event.scope)
    return person, keys, await _record(settings, [person, *(key.event for key in keys)])


async def update_person(
    settings: ServiceSettings, person_id: str, command: ChangePerson, service: str
) -> tuple[PersonUpdated | None, Published]:
    """Change a person's details, as the named service's replica knows them now, and publish
    them (None: nothing differed). LookupError for a person it does not know; ValueError
    naming the field when the details no longer hold."""
    mongo = create_client(settings.mongodb_uri)
    try:
        replica = KeyReplica(mongo[settings.database_name(service)]["api_keys"], "")
        known = await replica.person(person_id)
    finally:
        await mongo.close()
    if known is None or "kind" not in known:
        raise LookupError(f"no person {person_id} known to {service}")
    changed = person_changed(known, command, operator(), utc_now())
    if changed is None:
        return None, Published(pending=0)
    return changed, await _record(settings, [changed])


def operator() -> Actor:
    """Who runs the CLI: it holds no key, so the account on the machine names them."""
    return Actor(grant="cli", name=f"{getpass.getuser()} (cli)")


async def revoke_key(settings: ServiceSettings, key_id: str, reason: str) -> Published:
    """Raises ValueError for a key nobody issued (a mistyped id must not report success
    while the real key keeps working) or one already revoked (its reason and time stand)."""
    known = await _issued(settings, key_id)
    if known is None:
        raise ValueError(f"no key {key_id!r} is known; `jamp keys list` shows them")
    if known.get("revoked_at") is not None:
        raise ValueError(
            f"key {key_id} was revoked already, at {known['revoked_at']:%Y-%m-%d %H:%M} UTC"
        )
    event = ApiKeyRevoked(key_id=key_id, revoked_at=utc_now(), reason=reason)
    return await _record(settings, [event])


async def _issued(settings: ServiceSettings, key_id: str) -> Document | None:
    """The key's record in this CLI's ledger or any service's replica: a key issued a
    moment ago (by a company's registration, the people API) may not be everywhere yet."""
    mongo = create_client(settings.mongodb_uri)
    try:
        for owner in (LEDGER, *SERVICES):
            replica = mongo[settings.database_name(owner)]["api_keys"]
            found = await replica.find_one({"_id": key_id, "key_hash": {"$exists": True}})
            if found is not None:
                return found
        return None
    finally:
        await mongo.close()


async def _record(settings: ServiceSettings, events: list[IdentityEvent]) -> Published:
    """Write the ledger and the events in one transaction, then try to publish at once."""
    platform = _platform(settings)
    try:
        await prepare_outbox(platform.outbox)
        # The ledger only records here; hashing happened in issue_key.
        ledger = KeyReplica(platform.database["api_keys"], "")

        async def attempt() -> None:
            trace = Trace(None, None, "cli", person_name=operator().name)
            async with unit_of_work(platform, trace) as uow:
                await record_identity(ledger, uow, events)

        # Another writer of the ledger (a second CLI, a script issuing keys at once) may
        # conflict with this transaction: it runs again, as every request's does.
        await retrying_transactions(attempt)
        return await _publish(platform)
    finally:
        await platform.mongo.close()


async def list_keys(settings: ServiceSettings, service: str) -> list[Document]:
    """Every key, as the named service's replica knows it."""
    return await _read_replica(settings, service, KeyReplica.list)


async def list_people(settings: ServiceSettings, service: str) -> list[Document]:
    """Every person, as the named service's replica knows them."""
    return await _read_replica(settings, service, KeyReplica.list_people)


async def _read_replica(
    settings: ServiceSettings,
    service: str,
    read: Callable[[KeyReplica], Awaitable[list[Document]]],
) -> list[Document]:
    mongo = create_client(settings.mongodb_uri)
    try:
        return await read(KeyReplica(mongo[settings.database_name(service)]["api_keys"], ""))
    finally:
        await mongo.close()


async def _publish(platform: Platform) -> Published:
    """Relay the ledger's pending events now; what Kafka refuses stays pending for next time."""
    relay = outbox_relay(platform, "jamp-cli", ServiceMetrics())  # one-shot: nobody scrapes
    try:
        while await relay.relay_once():
            pass
        return Published(pending=await platform.outbox.backlog())
    finally:
        await relay.close()
