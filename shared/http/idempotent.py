"""``Idempotency-Key`` on POST: a retry gets the original outcome, never a second change.

The first request with a key runs normally; its transaction claims the key (see
``shared.idempotency``) and the answer is stored after the commit. A retry with the same
key and body is answered from the claim: the stored answer, or, for an endpoint whose
answer held a secret that is never stored (self-registration's API key), its ``replay``
view, which answers anew from the change's subject.
"""

import re
from collections.abc import Awaitable, Callable
from typing import TypeGuard

from aiohttp import web
from pymongo.errors import PyMongoError

from shared.http.appkeys import PRINCIPAL
from shared.http.problems import Conflict, InvalidInput
from shared.idempotency import (
    COLLECTION,
    CURRENT,
    Claim,
    KeyInUse,
    claim_of,
    find_claim,
    store_outcome,
)
from shared.logs import get_logger
from shared.mongo import Document
from shared.platform import PLATFORM

log = get_logger(__name__)
HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
Run = Callable[[], Awaitable[web.StreamResponse]]
Replay = Callable[[str], Awaitable[web.StreamResponse]]
# A caller without an API key is known by nothing but its key: all share one scope, so
# the key is the secret that makes a retry theirs. A guessable one ("signup-1") let anyone
# replay a self-registration, which answers with a fresh key and revokes the owner's.
UNGUESSABLE = re.compile(
    r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[A-Za-z0-9_-]{32,255}"
)
# Headers of the first answer worth repeating (the body carries the rest).
KEPT_HEADERS = ("Location", "ETag")


async def idempotent(request: web.Request, run: Run, replay: Replay | None) -> web.StreamResponse:
    """Run the request once per key; answer repeats from what the first one committed."""
    key = request.headers.get(HEADER)
    if key is None or request.method != "POST":
        return await run()
    if not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
        raise InvalidInput.single(f"header.{HEADER}", "1 to 255 printable ASCII characters")
    principal = request.get(PRINCIPAL)
    if principal is None and not UNGUESSABLE.fullmatch(key):
        raise InvalidInput.single(
            f"header.{HEADER}",
            "without an API key, the key must be unguessable: a UUID, or 32 or more random "
            "letters, digits, '-' or '_' (whoever holds it is answered as the first request)",
        )
    scope = principal.key_id if principal is not None else "public"
    claim = claim_of(scope, request.method, request.path, key, await request.read())
    collection = request.app[PLATFORM].database[COLLECTION]
    stored = await find_claim(collection, claim)
    if stored is not None:
        return await _answer_again(stored, claim, replay)
    token = CURRENT.set(claim)
    try:
        response = await run()
    except KeyInUse:  # the same request, concurrently: answer as its retry would be
        stored = await find_claim(collection, claim)
        if stored is None:
            raise Conflict("a request with this Idempotency-Key is still running") from None
        return await _answer_again(stored, claim, replay)
    finally:
        CURRENT.reset(token)
    if claim.subject is not None and replay is None and _keepable(response):
        try:
            await store_outcome(collection, claim, _outcome(response))
        except PyMongoError as error:  # the change stands; a retry is answered by 409
            log.warning("idempotency.outcome_not_stored", error=repr(error))
    return response


async def _answer_again(
    stored: Document, claim: Claim, replay: Replay | None
) -> web.StreamResponse:
    if stored["fingerprint"] != claim.fingerprint:
        raise InvalidInput.single(
            f"header.{HEADER}", "this key was already used for a different request"
        )
    if replay is not None:
        response = await replay(stored["subject"])
    elif stored.get("outcome") is not None:
        response = _response(stored["outcome"])
    else:
        raise Conflict(
            "the first request with this Idempotency-Key was applied, its answer is not "
            "stored yet; retry shortly",
            subject=stored["subject"],
        )
    response.headers[REPLAYED] = "true"
    return response


def _keepable(response: web.StreamResponse) -> TypeGuard[web.Response]:
    """A whole response in memory (not a stream): one that can be stored and replayed."""
    return isinstance(response, web.Response) and isinstance(response.body, bytes)


def _outcome(response: web.Response) -> Document:
    return {
        "status": response.status,
        "content_type": response.content_type,
        "body": response.body,
        "headers": {
            name: response.headers[name] for name in KEPT_HEADERS if name in response.headers
        },
    }


def _response(outcome: Document) -> web.Response:
    return web.Response(
        status=outcome["status"],
        body=bytes(outcome["body"]),
        content_type=outcome["content_type"],
        headers=outcome["headers"],
    )
