"""The whole desk running: idle database writes, idle RSS of each service, and the CPU time
every process spends per registration (next to the bare handler's CPU per POST)."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

from shared.cli.dev import SERVICES
from shared.cli.perf.intake import BODIES
from shared.cli.perf.load import Load, post_for
from shared.cli.perf.pairs import Figure
from shared.cli.perf.processes import cpu_delta, cpu_of, pid_of, rss_megabytes, service
from shared.cli.perf.servers import Servers
from shared.kafka import ensure_topics
from shared.mongo import MongoClient, create_client
from shared.settings import ServiceSettings
from shared.topics import Topics

WRITES = ("insert", "update", "delete")


@dataclass(frozen=True)
class Desk:
    settings: ServiceSettings
    pids: dict[str, int]
    urls: dict[str, str]
    bare: Load


@asynccontextmanager
async def running_desk(servers: Servers, logs: Path) -> AsyncIterator[Desk]:
    """Every service (as ``jamp dev`` runs them) and the bare handler, on these servers."""
    settings = servers.desk_settings()
    await ensure_topics(settings.kafka_bootstrap_servers, Topics(settings.topic_prefix).all())
    pids: dict[str, int] = {}
    if servers.stack is not None:
        for process in servers.stack.processes:
            pids[process.name] = pid_of(process)
    urls: dict[str, str] = {}
    async with AsyncExitStack() as running:
        for name in SERVICES:
            env = {"JAMP_MONITOR_TARGETS": json.dumps(urls)} if name == "monitor" else {}
            process, url = await running.enter_async_context(
                service(f"services.{name}", settings, logs, env)
            )
            pids[name], urls[name] = pid_of(process), url
        bare, bare_url = await running.enter_async_context(
            service("shared.cli.perf.bare", settings, logs)
        )
        bare_pids = {"bare": pid_of(bare)} | {k: v for k, v in pids.items() if k == "mongodb"}
        body = orjson.dumps(BODIES["companies"])
        yield Desk(settings, pids, urls, Load(f"{bare_url}/companies", body, {}, bare_pids))


async def run(
    servers: Servers, registrations: int, pairs: int, settle: float, logs: Path
) -> tuple[list[Figure], dict[str, object]]:
    cpu = Figure("CPU per registration, all processes", "ms", higher_is_better=False,
                 note="baseline: the bare handler's transaction (handler + database)")  # fmt: skip
    async with running_desk(servers, logs) as desk:
        await asyncio.sleep(settle)  # consumers join their groups
        # Startup work ends: on a grown desk (``--ran-for``) building the matching index
        # and catching up take far longer than ``settle``, and "idle" must be idle.
        settled_after = settle + await _until_settled(desk.pids, timeout=40 * settle)
        idle = await idle_writes_per_second(desk.settings, max(settle, 2.0))
        rss = {name: rss_megabytes(desk.pids[name]) for name in SERVICES}
        per_process: dict[str, list[float]] = {}
        unsettled: list[int] = []
        for _ in range(pairs):
            spent = await _cpu_per_registration(desk, registrations, unsettled)
            for name, ms in spent.items():
                per_process.setdefault(name, []).append(ms)
            cpu.product.append(sum(spent.values()))
            bare = await post_for(desk.bare, 8, 3.0)
            cpu.baseline.append(sum(bare.cpu_ms_per_request.values()))
    extra = {"idle_writes_per_second": idle, "idle_rss_mb": rss,
             "settled_after_seconds": round(settled_after, 1),
             "cpu_ms_per_registration": per_process,
             "rounds_not_settled_in_300_s": len(unsettled)}  # fmt: skip
    return [cpu], extra


async def idle_writes_per_second(settings: ServiceSettings, seconds: float) -> float:
    """Writes the database counts while nobody sends a request."""
    mongo = create_client(settings.mongodb_uri)
    try:
        before = await _writes(mongo)
        await asyncio.sleep(seconds)
        return (await _writes(mongo) - before) / seconds
    finally:
        await mongo.close()


async def _writes(mongo: MongoClient) -> int:
    status = await mongo.admin.command("serverStatus")
    return sum(int(status["opcounters"].get(name, 0)) for name in WRITES)


async def _cpu_per_registration(desk: Desk, count: int, unsettled: list[int]) -> dict[str, float]:
    """CPU ms per registration of each process: from the first POST until every process
    is idle again (consumers, relays and the monitor done), minus its idle rate."""
    idle_rate = await _cpu_rates(desk.pids, 2.0)
    companies = Load(f"{desk.urls['companies']}/companies", orjson.dumps(BODIES["companies"]))
    before, started = cpu_of(desk.pids), time.perf_counter()
    done = 0
    while done < count:
        done += len((await post_for(companies, 8, 0.5)).latencies)
    if not await _quiet(desk.pids, idle_rate):
        unsettled.append(count)
    elapsed = time.perf_counter() - started
    spent = dict(cpu_delta(before, cpu_of(desk.pids)))
    return {
        name: max(0.0, seconds - idle_rate[name] * elapsed) * 1000 / done
        for name, seconds in spent.items()
    }


async def _until_settled(pids: dict[str, int], timeout: float, cores: float = 0.1) -> float:
    """Seconds until three seconds in a row in which the processes together use at most
    ``cores`` of CPU (a settled desk uses a few hundredths: relays and consumers polling);
    the timeout when that never happens (the idle figures then say what it did)."""
    started, calm = time.perf_counter(), 0
    while calm < 3 and time.perf_counter() - started < timeout:
        calm = calm + 1 if sum((await _cpu_rates(pids, 1.0)).values()) <= cores else 0
    return time.perf_counter() - started


async def _cpu_rates(pids: dict[str, int], seconds: float) -> dict[str, float]:
    before = cpu_of(pids)
    await asyncio.sleep(seconds)
    return {name: spent / seconds for name, spent in cpu_delta(before, cpu_of(pids))}


async def _quiet(pids: dict[str, int], idle: dict[str, float], timeout: float = 300) -> bool:
    """Until one second in which the processes together spend no more than when idle;
    False if that did not happen within the timeout (the figure then counts what was
    spent until then, and says so)."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                rates = await _cpu_rates(pids, 1.0)
                if sum(rates.values()) <= sum(idle.values()) + 0.05:
                    return True
    except TimeoutError:
        return False
