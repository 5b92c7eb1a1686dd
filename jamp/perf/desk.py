"""The whole desk running: idle database writes, idle RSS of each service, and the CPU time
every process spends per registration (next to the bare handler's CPU per POST)."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

from jamp.dev import SERVICES
from jamp.perf.companies import register
from jamp.perf.intake import BODIES
from jamp.perf.load import Load, post_for
from jamp.perf.pairs import Figure
from jamp.perf.processes import (
    cpu_delta,
    cpu_of,
    peak_megabytes,
    pid_of,
    rss_megabytes,
    service,
)
from jamp.perf.servers import Servers
from shared.embedded import ManagedProcess, wait_healthy
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
    processes: dict[str, ManagedProcess]

    async def restart(self, name: str, timeout: float) -> None:
        """The service stopped (SIGTERM) and started again on its port, healthy: for a
        process of the index this is after its start-up load of the read models."""
        process = self.processes[name]
        await process.stop()
        await process.start()
        await wait_healthy(process, self.urls[name], timeout)
        self.pids[name] = pid_of(process)


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
    processes: dict[str, ManagedProcess] = {}
    async with AsyncExitStack() as running:
        for name in SERVICES:
            env = {"JAMP_MONITOR_TARGETS": json.dumps(urls)} if name == "monitor" else {}
            process, url = await running.enter_async_context(
                service(f"services.{name}", settings, logs, env)
            )
            pids[name], urls[name], processes[name] = pid_of(process), url, process
        bare, bare_url = await running.enter_async_context(
            service("jamp.perf.bare", settings, logs)
        )
        bare_pids = {"bare": pid_of(bare)} | {k: v for k, v in pids.items() if k == "mongodb"}
        body = orjson.dumps(BODIES["companies"])
        bare_load = Load(f"{bare_url}/companies", body, {}, bare_pids)
        yield Desk(settings, pids, urls, bare_load, processes)


async def run(
    servers: Servers, registrations: int, pairs: int, settle: float, logs: Path, companies: int = 0
) -> tuple[list[Figure], dict[str, object]]:
    cpu = Figure("CPU per registration, all processes", "ms", higher_is_better=False,
                 note="baseline: the bare handler's transaction (handler + database)")  # fmt: skip
    grown: dict[str, object] = {}
    async with running_desk(servers, logs) as desk:
        await asyncio.sleep(settle)  # consumers join their groups
        if companies:  # the desk is idle once it digested them (``_grow`` waits for that)
            digested, grown = await _grow(desk, companies, settle)
            settled_after = settle + digested
        else:
            # Startup work ends: on a grown desk (``--ran-for``) building the matching index
            # and catching up take far longer than ``settle``, and "idle" must be idle.
            settled_after = settle + await _until_settled(desk.pids, timeout=40 * settle)
        idle_cpu = await _cpu_rates(desk.pids, max(settle, 2.0))
        idle = await idle_writes_per_second(desk.settings, max(settle, 2.0))
        rss = {name: rss_megabytes(desk.pids[name]) for name in SERVICES}
        if companies:
            grown |= await _restarted(desk, "matching", settle)
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
             "idle_cpu_cores": {name: round(rate, 4) for name, rate in idle_cpu.items()},
             "settled_after_seconds": round(settled_after, 1),
             "cpu_ms_per_registration": per_process,
             "rounds_not_settled_in_300_s": len(unsettled), **grown}  # fmt: skip
    return [cpu], extra


async def _grow(desk: Desk, companies: int, settle: float) -> tuple[float, dict[str, object]]:
    """``companies`` registrations through the API, then until every consumer digested
    them: until the processes spend no more CPU than before the first registration (the
    idle figures that follow are those of a desk of that many companies)."""
    idle_rate = await _cpu_rates(desk.pids, 2.0)
    registered = await register(desk.urls["companies"], companies)
    started = time.perf_counter()
    digested = await _quiet(desk.pids, idle_rate, timeout=40 * settle + companies * 0.2)
    seconds = time.perf_counter() - started
    peak = {name: peak_megabytes(desk.pids[name]) for name in SERVICES}
    return seconds, {"companies": companies, "registrations_accepted": registered.accepted,
                     "registrations_failed": registered.failed,
                     "registration_seconds": round(registered.seconds, 1),
                     "digested_after_seconds": round(seconds, 1), "digested": digested,
                     "peak_rss_mb": peak}  # fmt: skip


async def _restarted(desk: Desk, name: str, settle: float) -> dict[str, object]:
    """The service's RSS after a restart on the grown database: its start-up load of the
    read models (the peak while loading, and what it keeps once idle)."""
    started = time.perf_counter()
    await desk.restart(name, timeout=40 * settle)
    healthy = time.perf_counter() - started
    await _until_settled({name: desk.pids[name]}, timeout=40 * settle)
    return {"restarted": {"service": name, "healthy_after_seconds": round(healthy, 1),
                          "rss_mb": rss_megabytes(desk.pids[name]),
                          "peak_rss_mb": peak_megabytes(desk.pids[name])}}  # fmt: skip


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


async def _until_settled(pids: dict[str, int], timeout: float) -> float:
    """Seconds until the processes have settled (``settled``), one-second windows apart;
    the timeout when that never happens (the idle figures then say what it did)."""
    started = time.perf_counter()
    totals: list[float] = []  # CPU cores spent, second by second
    while not settled(totals) and time.perf_counter() - started < timeout:
        totals.append(sum((await _cpu_rates(pids, 1.0)).values()))
    return time.perf_counter() - started


QUIET_CORES = 0.1
"""A fresh settled desk uses a few hundredths of a core: relays and consumers polling."""
FLAT_CORES = 0.03


def settled(totals: Sequence[float]) -> bool:
    """Whether the desk's start-up work is over, from its CPU (cores) per second so far:
    three seconds in a row under ``QUIET_CORES``, or five whose spread is within
    ``FLAT_CORES`` (a grown desk, or one on a busy machine, may idle above the first
    level, but its start-up work, loading and catching up, still ends in a flat line)."""
    quiet = len(totals) >= 3 and max(totals[-3:]) <= QUIET_CORES
    flat = len(totals) >= 5 and max(totals[-5:]) - min(totals[-5:]) <= FLAT_CORES
    return quiet or flat


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
