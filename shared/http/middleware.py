"""Middlewares: request context and access log with metrics (outer), problem+json (inner)."""

import time
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp.web_protocol import RequestPayloadError
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure, PyMongoError

from shared.errors import describe
from shared.http.appkeys import CORRELATION_ID, METRICS, REQUEST_ID, TRACEPARENT
from shared.http.problems import Problem, ServiceUnavailable, problem_response, problem_title
from shared.logs import bound_context, get_logger
from shared.tracing import accepted_id, child_traceparent

log = get_logger("http")


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bind request and correlation ids to every log line; log and measure the request."""
    request_id = accepted_id(request.headers.get("X-Request-ID")) or str(uuid.uuid4())
    correlation_id = accepted_id(request.headers.get("X-Correlation-ID")) or request_id
    request[REQUEST_ID] = request_id
    request[CORRELATION_ID] = correlation_id
    request[TRACEPARENT] = child_traceparent(request.headers.get("traceparent"))
    started = time.perf_counter()
    with bound_context(request_id=request_id, correlation_id=correlation_id):
        response = await handler(request)
        elapsed = time.perf_counter() - started
        route = _route_template(request)
        request.app[METRICS].observe(request.method, route, response.status, elapsed)
        log.info(
            "http.request",
            method=request.method,
            path=request.path,
            status=response.status,
            ms=round(elapsed * 1000, 2),
        )
    response.headers["X-Request-ID"] = request_id
    response.headers["X-Correlation-ID"] = correlation_id
    return response


@web.middleware
async def problem_details(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render every error as RFC 9457 problem+json; nothing else reaches the client."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise  # redirects and other non-errors pass through
        return _http_error(request, error)
    except Problem as problem:
        return _rendered(request, problem)
    except RequestPayloadError as error:
        # The body could not be read as sent: a gzip or deflate body that is not one, or a
        # chunked body cut short. The client's fault, and nothing was read or written.
        return problem_response(
            request, 400, problem_title(400), f"the request body could not be read: {error}"
        )
    except Exception as error:
        return _unexpected(request, error)


def _rendered(request: web.Request, problem: Problem) -> web.Response:
    return problem_response(
        request,
        problem.status,
        problem.title,
        problem.detail,
        headers=problem.headers,
        **problem.extensions,
    )


def _http_error(request: web.Request, error: web.HTTPException) -> web.Response:
    if isinstance(error, web.HTTPRequestEntityTooLarge):
        return problem_response(request, 413, "Payload too large", error.text or "too large")
    headers = (
        {"Allow": _allowed(request, error.headers["Allow"])} if "Allow" in error.headers else None
    )
    return problem_response(
        request,
        error.status,
        error.reason,
        f"{request.method} {request.path}: {error.reason}",
        headers=headers,
    )


def _allowed(request: web.Request, allow: str) -> str:
    """The methods of the resource a path names. aiohttp unites the methods of every route
    whose pattern matches, so ``/api/dead-letters/replay`` (POST) would also offer the GET
    of ``/api/dead-letters/{letter_id}``; a path spelled out as a route of its own is that
    route, and only its methods are allowed."""
    named = {
        route.method
        for resource in request.app.router.resources()
        if isinstance(resource, web.PlainResource) and resource.canonical == request.path
        for route in resource
    }
    return ",".join(sorted(named)) if named else allow


def _unexpected(request: web.Request, error: Exception) -> web.Response:
    if isinstance(error, ConnectionFailure):
        log.warning("http.mongodb_unavailable", path=request.path)
        unreachable = ServiceUnavailable("the database is unreachable; retry shortly")
        return _rendered(request, unreachable)
    if isinstance(error, PyMongoError) and error.has_error_label("TransientTransactionError"):
        # The whole transaction was retried for seconds and the server kept asking for
        # another try: busy, not a conflict the client could resolve by reading again.
        log.warning("http.transaction_retries_exhausted", path=request.path, error=repr(error))
        busy = ServiceUnavailable(
            "the database kept asking to retry this change; retry shortly", retry_after=1
        )
        return _rendered(request, busy)
    if isinstance(error, ValidationError):
        # Its traceback's message would quote the input, maybe someone's contact details.
        log.error("http.unhandled_error", path=request.path, error=describe(error))
    else:
        log.exception("http.unhandled_error", path=request.path)
    return problem_response(request, 500, problem_title(500), "an unexpected error occurred")


def _route_template(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"
