"""Console sessions: the browser trades an API key for a cookie once, and never sends the key
again. The cookie's token is random and stored only as a hash, like the keys themselves.

The shared endpoint layer authenticates ``Authorization: Bearer``; a small middleware turns
the cookie into that header inside the process, and ``ConsoleKeys`` knows session tokens.
"""

import hashlib
import secrets
from datetime import timedelta

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from pymongo.asynchronous.collection import AsyncCollection

from shared.auth import KeyReplica, Principal, Role
from shared.clock import utc_now
from shared.http.problems import Forbidden
from shared.mongo import Document

COOKIE = "jamp_console"
TOKEN_PREFIX = "console_"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(self, collection: AsyncCollection[Document], lifetime: timedelta) -> None:
        self.collection, self.lifetime = collection, lifetime

    async def create_indexes(self) -> None:
        await self.collection.create_index("expires_at", expireAfterSeconds=0)

    async def open(self, principal: Principal) -> str:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        await self.collection.insert_one(
            {
                "_id": _hash(token),
                "key_id": principal.key_id,
                "role": str(principal.role),
                "label": principal.label,
                "person_id": principal.person_id,
                "person_name": principal.person_name,
                "expires_at": utc_now() + self.lifetime,
            }
        )
        return token

    async def principal(self, token: str) -> Principal | None:
        document = await self.collection.find_one({"_id": _hash(token)})
        if document is None or document["expires_at"] <= utc_now():
            return None
        return Principal(
            key_id=document["key_id"],
            role=Role(document["role"]),
            scope=None,
            label=document.get("label", ""),
            person_id=document.get("person_id"),
            person_name=document.get("person_name"),
        )

    async def close(self, token: str) -> None:
        await self.collection.delete_one({"_id": _hash(token)})


class ConsoleKeys(KeyReplica):
    """The key replica, which also accepts the token of an open console session. A session
    ends when its key is revoked: the key's record is checked on every request."""

    def __init__(self, replica: KeyReplica, sessions: SessionStore) -> None:
        super().__init__(replica.collection, replica.pepper, replica.people)
        self.sessions = sessions

    async def authenticate_key(self, plaintext: str) -> Principal | None:
        """An API key only, never a session's token: a session is opened by a key, so that
        a token (a stolen cookie) cannot be traded for a fresh one that outlives logout."""
        return await super().authenticate(plaintext)

    async def authenticate(self, plaintext: str) -> Principal | None:
        if not plaintext.startswith(TOKEN_PREFIX):
            return await self.authenticate_key(plaintext)
        principal = await self.sessions.principal(plaintext)
        if principal is None:
            return None
        live = await self.collection.find_one({"_id": principal.key_id, "revoked_at": None})
        return principal if live is not None else None


@web.middleware
async def session_cookie(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A request that carries the session cookie and no key is authenticated by the cookie."""
    token = request.cookies.get(COOKIE)
    if not token or hdrs.AUTHORIZATION in request.headers:
        return await handler(request)
    if request.method in UNSAFE_METHODS and not same_origin(request):
        raise Forbidden("cross-origin requests may not use the console session")
    headers = request.headers.copy()
    headers[hdrs.AUTHORIZATION] = f"Bearer {token}"
    return await handler(request.clone(headers=headers))


def same_origin(request: web.Request) -> bool:
    # SameSite=Strict already keeps the cookie off cross-site requests; this covers the
    # same-site-but-other-origin case.
    origin = request.headers.get(hdrs.ORIGIN)
    return origin is None or origin == f"{request.scheme}://{request.host}"
