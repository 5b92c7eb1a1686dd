"""An HTTP load generator: c concurrent clients POSTing for a while, and what it cost."""

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp

from jamp.perf.processes import cpu_delta, cpu_of


@dataclass
class Load:
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    cpu_pids: dict[str, int] = field(default_factory=dict)
    """Processes whose CPU time the requests are charged with (service, database)."""


@dataclass(frozen=True)
class LoadResult:
    rate: float
    """Accepted (2xx) requests per second."""
    failed: int
    cpu_ms_per_request: dict[str, float]
    latencies: list[float]


async def post_for(load: Load, concurrency: int, seconds: float) -> LoadResult:
    headers = {"content-type": "application/json", **load.headers}
    latencies: list[float] = []
    failed = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def client(deadline: float) -> None:
            nonlocal failed
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with session.post(load.url, data=load.body) as response:
                    await response.read()
                    if response.status < 300:
                        latencies.append(time.perf_counter() - started)
                    else:
                        failed += 1

        cpu_before = cpu_of(load.cpu_pids)
        started = time.perf_counter()
        await asyncio.gather(*(client(started + seconds) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu = dict(cpu_delta(cpu_before, cpu_of(load.cpu_pids)))
    accepted = max(len(latencies), 1)
    per_request = {name: seconds * 1000 / accepted for name, seconds in cpu.items()}
    return LoadResult(len(latencies) / elapsed, failed, per_request, latencies)
