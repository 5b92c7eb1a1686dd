"""Health of every service: its /readyz and /metrics, summarised for one page."""

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, Field


class TargetHealth(BaseModel):
    name: str
    url: str
    up: bool = Field(description="/readyz answered 200")
    status: str = Field(description="ok, degraded, unavailable or unreachable")
    checks: dict[str, str] = {}
    requests_total: float = 0
    errors_total: float = Field(default=0, description="Responses with a 5xx status")
    request_rate: float | None = Field(default=None, description="Per second since last look")
    error_rate: float | None = None
    consumed_total: float = 0
    dead_lettered_total: float = 0
    consumer_lag: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class Counters:
    requests: float
    errors: float
    consumed: float
    dead_lettered: float


def counters_of(metrics_text: str) -> Counters:
    """Totals from a Prometheus text exposition of a desk service."""
    totals = {"requests": 0.0, "errors": 0.0, "consumed": 0.0, "dead_lettered": 0.0}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == "http_requests_total":
                totals["requests"] += sample.value
                if sample.labels.get("status", "").startswith("5"):
                    totals["errors"] += sample.value
            elif sample.name == "consumer_events_total":
                totals["consumed"] += sample.value
                if sample.labels.get("outcome") == "dead_lettered":
                    totals["dead_lettered"] += sample.value
    return Counters(**totals)


@dataclass
class HealthProbe:
    targets: dict[str, str]
    session: aiohttp.ClientSession
    timeout: float
    previous: dict[str, tuple[float, Counters]] = field(default_factory=dict)

    async def check_all(self) -> list[TargetHealth]:
        return list(await asyncio.gather(*(self.check(n, u) for n, u in self.targets.items())))

    async def check(self, name: str, url: str) -> TargetHealth:
        base = url.rstrip("/")
        try:
            async with asyncio.timeout(self.timeout):
                ready_status, report = await self._readyz(base)
                counters = counters_of(await self._text(f"{base}/metrics"))
        except Exception as error:  # any failure to reach it is "unreachable" on the page
            return TargetHealth(
                name=name, url=url, up=False, status="unreachable", error=repr(error)
            )
        request_rate, error_rate = self._rates(name, counters)
        return TargetHealth(
            name=name,
            url=url,
            up=ready_status == 200,
            status=str(report.get("status", "unknown")),
            checks={k: str(v) for k, v in dict(report.get("checks", {})).items()},
            requests_total=counters.requests,
            errors_total=counters.errors,
            request_rate=request_rate,
            error_rate=error_rate,
            consumed_total=counters.consumed,
            dead_lettered_total=counters.dead_lettered,
        )

    async def _readyz(self, base: str) -> tuple[int, dict[str, Any]]:
        async with self.session.get(f"{base}/readyz") as response:
            return response.status, await response.json()

    async def _text(self, url: str) -> str:
        async with self.session.get(url) as response:
            response.raise_for_status()
            return await response.text()

    def _rates(self, name: str, counters: Counters) -> tuple[float | None, float | None]:
        """Per-second rates against the previous look at the same target."""
        now = time.monotonic()
        before = self.previous.get(name)
        self.previous[name] = (now, counters)
        if before is None or now <= before[0]:
            return None, None
        seconds = now - before[0]
        return (
            max(0.0, counters.requests - before[1].requests) / seconds,
            max(0.0, counters.errors - before[1].errors) / seconds,
        )
