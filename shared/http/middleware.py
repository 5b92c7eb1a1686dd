"""Middlewares: request context and access log with metrics (outer), problem+json (inner)."""

import time
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

from shared.http.appkeys import CORRELATION_ID, METRICS, REQUEST_ID, TRACEPARENT
from shared.http.problems import Problem, problem_response
from shared.logs import bound_context, get_logger
from shared.tracing import child_traceparent

log = get_logger("http")


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bind request and correlation ids to every log line; log and measure the request."""
    request_id = request.headers.get("X-Request-ID") or str(uuid.uuid4())
    correlation_id = request.headers.get("X-Correlation-ID") or request_id
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
    except Problem as problem:
        return problem_response(
            request,
            problem.status,
            problem.title,
            problem.detail,
            headers=problem.headers,
            **problem.extensions,
        )
    except web.HTTPRequestEntityTooLarge as error:
        return problem_response(
            request, 413, "Payload too large", error.text or "the body is too large"
        )
    except web.HTTPException as error:
        if error.status < 400:
            raise
        headers = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
        return problem_response(
            request, error.status, error.reason, error.text or error.reason, headers=headers
        )
    except Exception:
        log.exception("http.unhandled_error", path=request.path)
        return problem_response(
            request, 500, "Internal server error", "an unexpected error occurred"
        )


def _route_template(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"
