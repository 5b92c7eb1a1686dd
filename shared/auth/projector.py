"""Consumer entrypoints that keep a service's key replica in step with ``jamp.identity.v1``."""

from aiohttp import web

from shared.consumer import Batchable, ConsumedEvent, HandlerTable
from shared.contracts.identity import ApiKeyIssued, ApiKeyRevoked, PersonRegistered
from shared.http.appkeys import KEYS


async def on_key_issued(event: ConsumedEvent, app: web.Application) -> None:
    assert isinstance(event.payload, ApiKeyIssued)
    await app[KEYS].record_issued(event.payload, event.session)


async def on_key_revoked(event: ConsumedEvent, app: web.Application) -> None:
    assert isinstance(event.payload, ApiKeyRevoked)
    await app[KEYS].record_revoked(event.payload, event.session)


async def on_person_registered(event: ConsumedEvent, app: web.Application) -> None:
    assert isinstance(event.payload, PersonRegistered)
    await app[KEYS].record_person(event.payload, event.session)


# Each only upserts its own record through the session: a batch may share a transaction.
IDENTITY_HANDLERS: HandlerTable = {
    PersonRegistered: Batchable(on_person_registered),
    ApiKeyIssued: Batchable(on_key_issued),
    ApiKeyRevoked: Batchable(on_key_revoked),
}
