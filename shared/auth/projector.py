"""Consumer entrypoints that keep a service's key replica in step with ``jamp.identity.v1``."""

from collections.abc import Sequence

from aiohttp import web

from shared.consumer import Batchable, ConsumedEvent
from shared.contracts.identity import (
    ApiKeyIssued,
    ApiKeyRelabelled,
    ApiKeyRevoked,
    PersonRegistered,
    PersonUpdated,
)
from shared.handler_table import handler_table
from shared.http.appkeys import KEYS


async def on_key_issued(event: ConsumedEvent[ApiKeyIssued], app: web.Application) -> None:
    await app[KEYS].record_issued(event.payload, event.session)


async def on_keys_issued(
    events: Sequence[ConsumedEvent[ApiKeyIssued]], app: web.Application
) -> None:
    await app[KEYS].record_all_issued([event.payload for event in events], events[0].session)


async def on_key_revoked(event: ConsumedEvent[ApiKeyRevoked], app: web.Application) -> None:
    await app[KEYS].record_revoked(event.payload, event.session)


async def on_key_relabelled(event: ConsumedEvent[ApiKeyRelabelled], app: web.Application) -> None:
    await app[KEYS].record_relabelled(event.payload, event.session)


async def on_person_registered(
    event: ConsumedEvent[PersonRegistered], app: web.Application
) -> None:
    await app[KEYS].record_person(event.payload, event.session)


async def on_person_updated(event: ConsumedEvent[PersonUpdated], app: web.Application) -> None:
    await app[KEYS].record_person_updated(event.payload, event.session)


# Each is one upsert (or $set) of its own record with the facts the event carries: applied
# again (a redelivery, a replay) it leaves the record as once does, so the runner applies
# them without a transaction or markers.
IDENTITY_HANDLERS = handler_table(
    Batchable(on_person_registered, idempotent=True),
    Batchable(on_person_updated, idempotent=True),
    Batchable(on_key_issued, idempotent=True, many=on_keys_issued),
    Batchable(on_key_revoked, idempotent=True),
    Batchable(on_key_relabelled, idempotent=True),
)
