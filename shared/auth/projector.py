"""Consumer entrypoints that keep a service's key replica in step with ``jamp.identity.v1``."""

from aiohttp import web

from shared.consumer import ConsumedEvent, HandlerTable
from shared.contracts.identity import ApiKeyIssued, ApiKeyRevoked
from shared.http.appkeys import KEYS


async def on_key_issued(event: ConsumedEvent, app: web.Application) -> None:
    assert isinstance(event.payload, ApiKeyIssued)
    await app[KEYS].record_issued(event.payload, event.session)


async def on_key_revoked(event: ConsumedEvent, app: web.Application) -> None:
    assert isinstance(event.payload, ApiKeyRevoked)
    await app[KEYS].record_revoked(event.payload, event.session)


IDENTITY_HANDLERS: HandlerTable = {ApiKeyIssued: on_key_issued, ApiKeyRevoked: on_key_revoked}
