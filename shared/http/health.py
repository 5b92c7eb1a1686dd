"""Liveness and readiness: ``/healthz`` says the process is up, ``/readyz`` checks its servers."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from shared.tasks import KeptRunning

Probe = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class ReadinessCheck:
    name: str
    probe: Probe
    critical: bool
    """A failing critical check makes the service unready (503); others only degrade it.
    Kafka is not critical for a service with an outbox: requests are accepted while it is down."""


def running(name: str, loop: KeptRunning) -> ReadinessCheck:
    """Degraded while a background loop is down (between its failure and its restart) or
    has ended while the service runs: a consumer whose loop is down reads nothing, and the
    service must say so rather than look healthy."""

    async def probe() -> bool:
        return loop.up

    return ReadinessCheck(name, probe, critical=False)


async def run_checks(
    checks: list[ReadinessCheck], timeout: float = 3.0
) -> tuple[int, dict[str, object]]:
    results = await asyncio.gather(*(_run(check, timeout) for check in checks))
    report = {
        check.name: "ok" if ok else "unavailable" for check, ok in zip(checks, results, strict=True)
    }
    critical_down = any(
        not ok and check.critical for check, ok in zip(checks, results, strict=True)
    )
    if critical_down:
        return 503, {"status": "unavailable", "checks": report}
    status = "ok" if all(results) else "degraded"
    return 200, {"status": status, "checks": report}


async def _run(check: ReadinessCheck, timeout: float) -> bool:
    try:
        async with asyncio.timeout(timeout):
            return await check.probe()
    except Exception:  # a probe that raises is a failed probe
        return False


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})
