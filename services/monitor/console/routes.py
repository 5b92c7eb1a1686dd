"""The web console: static pages, the session login, and the live tail's WebSocket."""

import asyncio
import time
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from services.monitor.console.sessions import COOKIE, same_origin
from services.monitor.events.model import EventFilter
from services.monitor.keys import CONSOLE_KEYS, HUB, MONITOR_SETTINGS, SESSIONS
from services.monitor.masking import may_look_up, shown_to
from services.monitor.routes import STAFF
from shared.auth import PUBLIC, Principal
from shared.http.appkeys import KEYS
from shared.http.endpoints import ApiRoutes, Reply, bearer_key, parse_query, principal_of
from shared.http.problems import Forbidden, Unauthorized

STATIC = Path(__file__).parent / "static"
session_api = ApiRoutes("console session")


class Login(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"key": "jamp_<key id>_<secret>"}]}
    )

    key: SecretStr = Field(description="An operator or admin API key; sent once, in the body")


class SessionView(BaseModel):
    role: str
    key_id: str


@session_api.post(
    "/api/session",
    summary="Trade an operator/admin key for an HttpOnly session cookie",
    access=PUBLIC,
    body=Login,
    response=SessionView,
    status=201,
    problems=(401, 403, 429),
    rate_limited=True,
)
async def login(request: web.Request, body: Login) -> Reply:
    principal = await request.app[CONSOLE_KEYS].authenticate_key(body.key.get_secret_value())
    if principal is None:
        raise Unauthorized("the API key is unknown or revoked (a session's token is no key)")
    if not principal.is_staff:
        raise Forbidden("the console is for operator and admin keys")
    token = await request.app[SESSIONS].open(principal)
    settings = request.app[MONITOR_SETTINGS]
    max_age = int(settings.monitor_session_hours * 3600)
    cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    if settings.monitor_cookie_secure:
        cookie += "; Secure"
    return Reply(_view(principal), headers={"Set-Cookie": cookie})


@session_api.get(
    "/api/session", summary="Who this console session is", access=STAFF, response=SessionView
)
async def whoami(request: web.Request) -> SessionView:
    return _view(principal_of(request))


@session_api.post(
    "/api/session/logout", summary="End the console session", access=PUBLIC, status=204
)
async def logout(request: web.Request) -> Reply:
    """Always clears the cookie: a session that expired or was revoked still leaves its
    cookie in the browser, and logging out must not need a session that works."""
    token = request.cookies.get(COOKIE)
    if token:
        await request.app[SESSIONS].close(token)
    expired = f"{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
    return Reply(None, status=204, headers={"Set-Cookie": expired})


def _view(principal: Principal) -> SessionView:
    return SessionView(role=str(principal.role), key_id=principal.key_id)


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers=_page_headers())


def _page_headers() -> dict[str, str]:
    # Everything is served from here: no inline script, no third-party origin.
    policy = "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
    return {"Content-Security-Policy": policy, "Cache-Control": "no-store"}


RECHECK_SECONDS = 2.0
"""How often an open tail asks again whether its session or key still admits it: revoking
the key (or logging out, or the session's expiry) ends the stream within this time."""


async def tail_socket(request: web.Request) -> web.WebSocketResponse:
    """Newly indexed events as JSON text frames, those the query's filter matches (as the
    first page of ``/api/events`` does); the session cookie (or a key) admits."""
    if not same_origin(request):
        raise Forbidden("the live tail is for this console's own pages")
    credential = _socket_credential(request)
    principal = await _admitted(request, credential)
    wanted = parse_query(request, EventFilter)
    allowed = may_look_up(principal, *wanted.named())  # no lookup by contact details
    socket = web.WebSocketResponse(heartbeat=20)
    await socket.prepare(request)
    queue = request.app[HUB].subscribe()
    reader = asyncio.create_task(_drain(socket))
    getter: asyncio.Future[Any] | None = None
    checked = time.monotonic()
    try:
        while not reader.done():
            getter = getter or asyncio.ensure_future(queue.get())
            await asyncio.wait({getter, reader}, timeout=RECHECK_SECONDS,
                               return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
            if time.monotonic() - checked >= RECHECK_SECONDS:
                checked = time.monotonic()
                if await request.app[KEYS].authenticate(credential) is None:
                    await socket.close(code=WSCloseCode.POLICY_VIOLATION, message=b"logged out")
                    break
            if getter.done():
                event, getter = getter.result(), None
                if allowed and wanted.matches(event):
                    await socket.send_str(shown_to(principal, event).model_dump_json())
    finally:
        if getter is not None:
            getter.cancel()
        request.app[HUB].unsubscribe(queue)
        reader.cancel()
        await socket.close()
    return socket


async def _drain(socket: web.WebSocketResponse) -> None:
    """The browser sends nothing that matters; reading notices when it goes away."""
    async for message in socket:
        if message.type is WSMsgType.ERROR:
            return


def _socket_credential(request: web.Request) -> str:
    return request.cookies.get(COOKIE) or bearer_key(request) or ""


async def _admitted(request: web.Request, credential: str) -> Principal:
    principal = await request.app[KEYS].authenticate(credential) if credential else None
    if principal is None:
        raise Unauthorized("log in to the console first")
    if not principal.is_staff:
        raise Forbidden("the console is for operator and admin keys")
    return principal


def install(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/api/tail", tail_socket)
    app.router.add_static("/static/", STATIC, append_version=False)
