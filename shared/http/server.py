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
"""

import re
from http import HTTPStatus

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, InvalidURLError

from shared.http.problems import BadRequest, PayloadTooLarge, problem_json

ECHOED_CHARACTERS = 160
"""The most of the parser's message a detail repeats: it quotes the offending line, which
may be most of an 8 KiB header or URL (and would come back to the sender in full)."""

_TITLES = {400: BadRequest.title, 413: PayloadTooLarge.title}
"""The project's own titles; any other status is titled by its phrase."""
_CARET_LINE = re.compile(r"^\s*\^\s*$")


class ProblemRequestHandler(web.RequestHandler):
    """One connection's handler, whose own error answers are problem+json."""

    __slots__ = ()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        # aiohttp's own first: it logs the error and raises if part of an answer is
        # already on the wire (no second answer can follow). Its text/plain is dropped.
        super().handle_error(request, status, exc, message)
        if isinstance(exc, HttpProcessingError) and 400 <= exc.code < 500:
            status = exc.code  # 400 in aiohttp 3.14; a later one may say 413 or 431
        if 400 <= status < 500:
            # The parser's refusal: no request was read, so there is no path to name.
            response = problem_json(status, problem_title(status), parser_detail(exc, message))
        else:
            # A request that reached the application; what went wrong stays in the log.
            detail = "an unexpected error occurred"
            response = problem_json(status, problem_title(status), detail, request.path)
        response.force_close()  # as aiohttp's: the connection's state is unknown
        return response


class ProblemServer(web.Server):
    """aiohttp's ``Server``, handling each connection with a ``ProblemRequestHandler``.

    ``_loop`` and ``_kwargs`` are ``Server``'s own (private, but the only record of the
    connection options its ``__call__`` passes on): read here exactly as it reads them."""

    @classmethod
    def like(cls, built: web.Server) -> "ProblemServer":
        """The same server as ``built``, with the same handler, factory and options (made
        before any connection, so nothing of ``built`` is lost)."""
        return cls(
            built.request_handler,
            request_factory=built.request_factory,
            handler_cancellation=built.handler_cancellation,
            loop=built._loop,
            **built._kwargs,
        )

    def __call__(self) -> web.RequestHandler:
        return ProblemRequestHandler(self, loop=self._loop, **self._kwargs)


class ServiceRunner(web.AppRunner):
    """``web.AppRunner`` serving the app with a ``ProblemServer``."""

    __slots__ = ()

    async def _make_server(self) -> web.Server:
        # BaseRunner.setup's one step that makes the server (abstract there, so a runner's
        # own to define). AppRunner's starts the application (its on_startup) and builds
        # the Server; only its class changes.
        return ProblemServer.like(await super()._make_server())


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


def problem_title(status: int) -> str:
    """The title of a problem of ``status``, worded as the project's other problems."""
    if status in _TITLES:
        return _TITLES[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "Error"
    return phrase[:1] + phrase[1:].lower()  # "Internal Server Error" as "Internal server error"
