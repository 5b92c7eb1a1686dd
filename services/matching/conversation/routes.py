"""HTTP views of a match's thread."""

from typing import Any

from aiohttp import web

from services.matching.conversation import handlers
from services.matching.conversation.model import (
    MatchMessage,
    MessageQuery,
    PostMessage,
    ThreadNotOpen,
)
from services.matching.keys import MATCHES, MESSAGES, READ_MODELS
from services.matching.model import MatchNotFound, NotAllowed
from shared.auth import Role, allow
from shared.http.endpoints import ApiRoutes, principal_of, trace_of
from shared.http.pagination import Page
from shared.http.problems import Conflict, Forbidden, NotFound
from shared.platform import PLATFORM

thread_api = ApiRoutes(
    "match threads",
    errors={MatchNotFound: NotFound, NotAllowed: Forbidden, ThreadNotOpen: Conflict},
)
MEMBERS = allow(Role.COMPANY, Role.CITY, Role.DESK, Role.OPERATOR, Role.ADMIN)
"""The desk passes the door to be told 403 (it sees the match, not its thread)."""


@thread_api.post(
    "/matches/{match_id}/messages",
    summary="Write to a mutually accepted match's thread (its two sides and staff)",
    access=MEMBERS,
    body=PostMessage,
    response=MatchMessage,
    status=201,
    problems=(403, 404, 409),
)
async def post_message(request: web.Request, body: PostMessage) -> MatchMessage:
    return await handlers.post_message(
        request.match_info["match_id"],
        principal_of(request),
        body,
        platform=request.app[PLATFORM],
        trace=trace_of(request),
        **_stores(request),
    )


@thread_api.get(
    "/matches/{match_id}/messages",
    summary="A mutually accepted match's thread, oldest first (its two sides and staff)",
    access=MEMBERS,
    query=MessageQuery,
    response=Page[MatchMessage],
    problems=(403, 404, 409),
)
async def read_thread(request: web.Request, query: MessageQuery) -> Page[MatchMessage]:
    return await handlers.thread(
        request.match_info["match_id"],
        principal_of(request),
        query,
        **_stores(request),
    )


def _stores(request: web.Request) -> dict[str, Any]:
    return {
        "matches": request.app[MATCHES],
        "read_models": request.app[READ_MODELS],
        "messages": request.app[MESSAGES],
    }
