"""The HTTP server every service runs: aiohttp's, answering as problem+json even the
errors aiohttp answers itself, before any handler or middleware runs.

aiohttp's parser refuses a malformed request line, an invalid method, URL or header, a
line past ``max_line_size``, too many headers, a bad ``Content-Length`` or a bad chunk
by calling ``RequestHandler.handle_error`` (aiohttp 3.14, ``web_protocol.py``), which
writes ``400, text/plain`` with the parser's message, raw request bytes and all. The same
method answers an exception that escapes the middlewares (500, with a traceback in debug
mode) and a handler's timeout (504). No middleware sees any of these: the request never
reached the application.

aiohttp offers no public hook for this answer: ``Server`` builds a ``RequestHandler``
itself (``Server.__call__``, the protocol factory the sites listen with), and
``AppRunner`` builds its ``Server`` itself (``Application._make_handler``). So
``ServiceRunner`` swaps the server its ``AppRunner`` built for a ``ProblemServer`` made
with the same arguments, which handles each connection with a ``ProblemRequestHandler``:
its ``handle_error`` keeps aiohttp's logging and its refusal when an answer was already
sent, and answers as every other problem of the project. Subclasses, not a patch of
aiohttp's classes: nothing else in the process (an outbound client, a test's own server)
changes. ``shared/serve.py`` runs every service
with it, and the tests serve their apps with it too (``tests/support.py``).

A refusal is logged by us, not by aiohttp: aiohttp logs it at ERROR with a traceback and
the parser's message, which quotes the line it refused (an ``Authorization`` header's
value, a URL's query string) into the service's log. Ours is one warning that names the
kind of refusal only, and ``http_refused_total`` counts it (the request never reached a
route, so ``http_requests_total`` cannot).
"""

import re
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMethod, HttpProcessingError, InvalidURLError

from shared.http.appkeys import METRICS
from shared.http.problems import problem_json, problem_title
from shared.logs import get_logger

log = get_logger(__name__)
Refused = Callable[[int], None]
"""Told the status of each request the parser refused."""

ECHOED_CHARACTERS = 160
"""The most of the parser's message a detail repeats: it quotes the offending line, which
may be most of an 8 KiB header or URL (and would come back to the sender in full)."""

_CARET_LINE = re.compile(r"^\s*\^\s*$")


class ProblemRequestHandler(web.RequestHandler):
    """One connection's handler, whose own error answers are problem+json."""

    __slots__ = ("_refused",)

    def __init__(self, manager: web.Server, *, refused: Refused | None, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._refused = refused

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if isinstance(exc, HttpProcessingError) and 400 <= exc.code < 500:
            status = exc.code  # 400 in aiohttp 3.14; a later one may say 413 or 431
        if 400 <= status < 500:
            # The parser's refusal: no request was read, so there is no path to name.
            self._record_refusal(request, status, exc)
            response = problem_json(status, problem_title(status), parser_detail(exc, message))
        else:
            # A request that reached the application. aiohttp's own handling first: it logs
            # the error with its traceback, and raises if part of an answer is already on
            # the wire (no second answer can follow). Its text/plain is dropped.
            super().handle_error(request, status, exc, message)
            detail = "an unexpected error occurred"
            response = problem_json(status, problem_title(status), detail, request.path)
        response.force_close()  # as aiohttp's: the connection's state is unknown
        return response

    def _record_refusal(
        self, request: web.BaseRequest, status: int, exc: BaseException | None
    ) -> None:
        """Log the parser's refusal and count it; raise if an answer is already on its way."""
        if request.writer.output_size > 0:  # as aiohttp's: no second answer can follow
            raise ConnectionError("Response is sent already, cannot send another response")
        kind = type(exc).__name__ if exc is not None else "malformed HTTP"
        # Not HTTP at all (TLS, a port scan) is what a public port hears all day: aiohttp
        # logs it at debug, and so do we; the counter still shows how often.
        report = log.debug if isinstance(exc, BadHttpMethod) else log.warning
        report("http.request_refused", status=status, kind=kind, remote=request.remote)
        if self._refused is not None:
            self._refused(status)


class ProblemServer(web.Server):
    """aiohttp's ``Server``, handling each connection with a ``ProblemRequestHandler``.

    ``_loop`` and ``_kwargs`` are ``Server``'s own (private, but the only record of the
    connection options its ``__call__`` passes on): read here exactly as it reads them."""

    refused: Refused | None = None

    @classmethod
    def like(cls, built: web.Server, refused: Refused | None = None) -> "ProblemServer":
        """The same server as ``built``, with the same handler, factory and options (made
        before any connection, so nothing of ``built`` is lost)."""
        server = cls(
            built.request_handler,
            request_factory=built.request_factory,
            handler_cancellation=built.handler_cancellation,
            loop=built._loop,
            **built._kwargs,
        )
        server.refused = refused
        return server

    def __call__(self) -> web.RequestHandler:
        return ProblemRequestHandler(self, refused=self.refused, loop=self._loop, **self._kwargs)


class ServiceRunner(web.AppRunner):
    """``web.AppRunner`` serving the app with a ``ProblemServer``."""

    __slots__ = ()

    async def _make_server(self) -> web.Server:
        # BaseRunner.setup's one step that makes the server (abstract there, so a runner's
        # own to define). AppRunner's starts the application (its on_startup) and builds
        # the Server; only its class changes.
        metrics = self.app.get(METRICS)
        refused = None if metrics is None else metrics.count_refusal
        return ProblemServer.like(await super()._make_server(), refused)


def parser_detail(exc: BaseException | None, message: str | None) -> str:
    """What the parser found wrong, on one line, quoting at most ``ECHOED_CHARACTERS``."""
    text = exc.message if isinstance(exc, HttpProcessingError) else message or ""
    # llhttp's messages say what, then quote the line, then point at it with a caret line.
    lines = [line.strip() for line in text.splitlines() if not _CARET_LINE.match(line)]
    found = " ".join(line for line in lines if line)
    if isinstance(exc, InvalidURLError) and "\n" not in text:
        found = f"invalid request target {found!r}"  # aiohttp's message is the URL alone
    if len(found) > ECHOED_CHARACTERS:
        found = found[: ECHOED_CHARACTERS - 1] + "…"
    return f"the request could not be parsed: {found or 'malformed HTTP'}"
