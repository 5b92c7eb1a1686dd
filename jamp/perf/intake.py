"""Intake benchmark: POST company, proposal and inquiry at several concurrencies, next to a
bare aiohttp handler writing the same documents in one transaction (``perf.bare``)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson

from jamp import keys
from jamp.perf.load import Load, LoadResult, post_for
from jamp.perf.pairs import Figure, percentile
from jamp.perf.processes import pid_of, service
from jamp.perf.servers import Servers
from services.companies.model import EXAMPLE_REGISTRATION
from services.inquiries.commands import EXAMPLE_INQUIRY
from services.proposals.model import EXAMPLE as EXAMPLE_PROPOSAL
from shared.kafka import ensure_topics
from shared.settings import ServiceSettings
from shared.topics import Topics

KINDS = ("companies", "proposals", "inquiries")
BODIES = {
    "companies": {k: v for k, v in EXAMPLE_REGISTRATION.items() if k != "corporate_number"},
    "proposals": EXAMPLE_PROPOSAL,
    "inquiries": EXAMPLE_INQUIRY,
}
GRANTS = {"proposals": "city:da-nang", "inquiries": "desk:VN"}


@dataclass(frozen=True)
class Targets:
    product: dict[str, Load]
    baseline: dict[str, Load]


async def run(
    servers: Servers, kinds: list[str], concurrencies: list[int], seconds: float, pairs: int,
    logs: Path,
) -> list[Figure]:  # fmt: skip
    settings = servers.desk_settings()
    await ensure_topics(settings.kafka_bootstrap_servers, Topics(settings.topic_prefix).all())
    figures: list[Figure] = []
    async with targets(servers, settings, kinds, logs) as found:
        for kind in kinds:
            for load in (found.product[kind], found.baseline[kind]):
                await post_for(load, 4, min(seconds, 1.0))  # warm up: first-use costs
            for concurrency in concurrencies:
                figures += await _compare(found, kind, concurrency, seconds, pairs)
    return figures


async def _compare(
    found: Targets, kind: str, concurrency: int, seconds: float, pairs: int
) -> list[Figure]:
    rate = Figure(f"POST /{kind} c={concurrency}", "req/s")
    cpu = Figure(f"CPU per POST /{kind} c={concurrency}", "ms", higher_is_better=False,
                 note="service (or bare handler) + database processes")  # fmt: skip
    p50 = Figure(f"p50 POST /{kind} c={concurrency}", "ms", higher_is_better=False)
    p99 = Figure(f"p99 POST /{kind} c={concurrency}", "ms", higher_is_better=False)
    for _ in range(pairs):
        for side, load in (("product", found.product[kind]), ("baseline", found.baseline[kind])):
            result = await post_for(load, concurrency, seconds)
            _record(rate, side, result.rate)
            _record(cpu, side, sum(result.cpu_ms_per_request.values()))
            _record(p50, side, _percentile_ms(result, 0.50))
            _record(p99, side, _percentile_ms(result, 0.99))
    return [rate, cpu, p50, p99]


def _record(figure: Figure, side: str, value: float) -> None:
    (figure.product if side == "product" else figure.baseline).append(value)


def _percentile_ms(result: LoadResult, fraction: float) -> float:
    return percentile(result.latencies, fraction) * 1000


@asynccontextmanager
async def targets(
    servers: Servers, settings: ServiceSettings, kinds: list[str], logs: Path
) -> AsyncIterator[Targets]:
    database = {} if servers.stack is None else {"database": pid_of(servers.stack.processes[0])}
    async with AsyncExitStack() as running:
        product: dict[str, Load] = {}
        for kind in kinds:
            process, url = await running.enter_async_context(
                service(f"services.{kind}", settings, logs)
            )
            headers = await authorised(settings, kind, url)
            pids = {"service": pid_of(process), **database}
            product[kind] = Load(f"{url}/{kind}", orjson.dumps(BODIES[kind]), headers, pids)
        bare, bare_url = await running.enter_async_context(
            service("jamp.perf.bare", settings, logs)
        )
        pids = {"service": pid_of(bare), **database}
        baseline = {
            kind: Load(f"{bare_url}/{kind}", orjson.dumps(BODIES[kind]), {}, pids) for kind in kinds
        }
        yield Targets(product, baseline)


async def authorised(settings: ServiceSettings, kind: str, url: str) -> dict[str, str]:
    """Headers with a key for the kinds that need one, once the service's replica has it."""
    grant = GRANTS.get(kind)
    if grant is None:
        return {}
    issued, _ = await keys.create_key(settings, grant, "bench")
    headers = {"Authorization": f"Bearer {issued.plaintext}"}
    async with aiohttp.ClientSession(headers=headers) as session, asyncio.timeout(60):
        while True:
            async with session.get(f"{url}/{kind}") as response:
                if response.status != 401:
                    return headers
            await asyncio.sleep(0.2)
