"""Requests aiohttp's own parser refuses, before any handler runs, are problem+json too.

Raw bytes over a real socket: an HTTP client would refuse to send most of these."""

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from services.companies.app import create_app as companies
from shared.embedded import ManagedProcess, free_port
from shared.http.server import ECHOED_CHARACTERS
from shared.settings import ServiceSettings
from tests.integration.test_cli_keys import environment
from tests.integration.test_list_cursors import SERVICES
from tests.support import eventually, serving

PROBLEM = "application/problem+json"
HOST = b"Host: desk.test\r\n"
# What is sent, and what the detail must name.
MALFORMED: dict[str, tuple[bytes, str]] = {
    "a request line that is no request line": (b"GARBAGE\r\n\r\n", "Invalid method"),
    "a method with a character no method has": (b"G@T / HTTP/1.1\r\n" + HOST + b"\r\n", "method"),
    "an unknown HTTP version": (b"GET / HTTP/9.x\r\n" + HOST + b"\r\n", "version"),
    "a URL that is not one": (b"GET http://[::1 HTTP/1.1\r\n" + HOST + b"\r\n", "http://[::1"),
    "a URL past the line limit": (
        b"GET /" + b"u" * 9000 + b" HTTP/1.1\r\n" + HOST + b"\r\n",
        "more than 8190 bytes",
    ),
    "a header name with a space": (
        b"GET /healthz HTTP/1.1\r\n" + HOST + b"Bad Header: y\r\n\r\n",
        "Invalid header token",
    ),
    "a header value with a NUL": (
        b"GET /healthz HTTP/1.1\r\n" + HOST + b"X-Note: a\x00b\r\n\r\n",
        "Invalid header value char",
    ),
    "a header past the line limit": (
        b"GET /healthz HTTP/1.1\r\n" + HOST + b"X-Big: " + b"h" * 9000 + b"\r\n\r\n",
        "more than 8190 bytes",
    ),
    "too many headers": (
        b"GET /healthz HTTP/1.1\r\n"
        + HOST
        + b"".join(b"X-H%d: v\r\n" % n for n in range(200))
        + b"\r\n",
        "Too many headers",
    ),
    "a Content-Length that is no number": (
        b"POST /companies HTTP/1.1\r\n" + HOST + b"Content-Length: abc\r\n\r\n",
        "Content-Length",
    ),
    "two Content-Lengths": (
        b"POST /companies HTTP/1.1\r\n"
        + HOST
        + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "Duplicate Content-Length",
    ),
    "a chunk size that is no number": (
        b"POST /companies HTTP/1.1\r\n"
        + HOST
        + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"zz\r\n{}\r\n0\r\n\r\n",
        "chunk size",
    ),
    "TLS on the plain port": (
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\0" * 40,
        "HTTPS",
    ),
}


async def exchange(host: str, port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``raw``, read until the server closes: its status, headers and body."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(raw)
        await writer.drain()
        async with asyncio.timeout(10):
            answer = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in header_lines)
    }
    return int(status_line.split(" ")[1]), headers, body


def refusal_failures(name: str, answer: tuple[int, dict[str, str], bytes], names: str) -> list[str]:
    """What is wrong with ``answer`` as the 400 problem refusing malformed HTTP."""
    status, headers, body = answer
    if status != 400 or headers.get("content-type") != PROBLEM:
        return [f"{name}: {status} {headers.get('content-type')} {body[:200]!r}"]
    problem: dict[str, Any] = orjson.loads(body)
    detail = problem.get("detail", "")
    wanted = {"type": "about:blank", "title": "Bad request", "status": 400}
    failures = [
        f"{name}: {key} is {problem.get(key)!r}, not {value!r}"
        for key, value in wanted.items()
        if problem.get(key) != value
    ]
    if not detail.startswith("the request could not be parsed: ") or names not in detail:
        failures.append(f"{name}: the detail {detail!r} does not name {names!r}")
    if len(detail) > len("the request could not be parsed: ") + ECHOED_CHARACTERS:
        failures.append(f"{name}: the detail echoes {len(detail)} characters")
    if "instance" in problem:  # no request was read: there is no path to name
        failures.append(f"{name}: names the instance {problem['instance']!r}")
    return failures


async def refusals(host: str, port: int, cases: dict[str, tuple[bytes, str]]) -> list[str]:
    failures: list[str] = []
    for name, (raw, names) in cases.items():
        failures += refusal_failures(name, await exchange(host, port, raw), names)
    return failures


@pytest.mark.parametrize("service", list(SERVICES))
async def test_every_service_refuses_malformed_http_as_a_problem(
    service: str, settings: ServiceSettings
) -> None:
    create_app, _ = SERVICES[service]
    async with serving(create_app, settings) as client:
        assert client.host is not None and client.port is not None
        failures = await refusals(client.host, client.port, MALFORMED)
    assert not failures, "\n".join(failures)


async def test_a_service_run_as_in_production_refuses_malformed_http_as_a_problem(
    settings: ServiceSettings, tmp_path: Path
) -> None:
    """``python -m services.companies``: the runner ``shared/serve.py`` builds, not the
    test server's."""
    port = free_port()
    service = ManagedProcess(
        "companies",
        [sys.executable, "-m", "services.companies"],
        tmp_path / "companies.log",
        env={**environment(settings), "JAMP_HTTP_PORT": str(port)},
    )
    await service.start()
    try:

        async def answers() -> bool:
            try:
                status, _, _ = await exchange("127.0.0.1", port, b"GET /healthz HTTP/1.0\r\n\r\n")
            except OSError:
                return False
            return status == 200

        await eventually(answers, timeout=30)
        failures = await refusals("127.0.0.1", port, MALFORMED)
    finally:
        await service.stop()
    assert not failures, "\n".join(failures)


async def test_an_error_past_the_middlewares_is_a_500_problem_without_internals(
    settings: ServiceSettings,
) -> None:
    """An exception outside ``problem_details`` reaches aiohttp's own error answer."""

    @web.middleware
    async def failing(request: web.Request, handler: Handler) -> web.StreamResponse:
        raise RuntimeError("internal detail: mongodb://admin:hunter2@db")

    def broken(settings: ServiceSettings) -> web.Application:
        app = companies(settings)
        app.middlewares.insert(0, failing)  # outside request_context and problem_details
        return app

    async with serving(broken, settings) as client:
        response = await client.get("/healthz", headers={"Accept": "text/html"})
        body = await response.read()
    assert response.status == 500 and response.content_type == PROBLEM
    assert orjson.loads(body) == {
        "type": "about:blank",
        "title": "Internal server error",
        "status": 500,
        "detail": "an unexpected error occurred",
        "instance": "/healthz",
    }


async def test_even_in_debug_mode_a_500_shows_no_traceback(settings: ServiceSettings) -> None:
    """aiohttp's debug mode writes the traceback into its 500; a service's never does."""

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("internal detail")

    app = web.Application(handler_args={"debug": True})  # the connections' debug mode
    app.router.add_get("/boom", boom)
    async with serving(lambda _: app, settings) as debug:
        response = await debug.get("/boom", headers={"Accept": "text/html"})
        body = await response.text()
    assert response.status == 500 and response.content_type == PROBLEM
    assert "Traceback" not in body and "internal detail" not in body


async def test_a_refusal_is_logged_without_what_was_refused_and_counted(
    settings: ServiceSettings, caplog: pytest.LogCaptureFixture
) -> None:
    """aiohttp logged the parser's message at ERROR, quoting the refused header line."""
    secret = "jamp_0123456789abcdef_refusedsecretvalue"
    raw = (
        b"GET /healthz HTTP/1.1\r\n"
        + HOST
        + b"Authorization: Bearer %s\x00\r\n\r\n" % (secret.encode())
    )
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    async with serving(companies, settings) as client:
        assert client.host is not None and client.port is not None
        with structlog.testing.capture_logs() as logs:
            status, _, _ = await exchange(client.host, client.port, raw)
            await exchange(client.host, client.port, raw)
        metrics = await (await client.get("/metrics")).text()
    assert status == 400
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert secret not in caplog.text and secret not in repr(logs)
    refusals = [entry for entry in logs if entry["event"] == "http.request_refused"]
    assert [(entry["status"], entry["log_level"]) for entry in refusals] == [(400, "warning")] * 2
    assert 'http_refused_total{status="400"} 2.0' in metrics
