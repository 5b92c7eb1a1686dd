"""One fault round: load, the fault halfway, recovery watched, reconciled. A round runs on
fresh servers, or (the short CI form) after the rounds before it on the same desk."""

import asyncio
import contextlib
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp
from pymongo.errors import PyMongoError

from jamp.chaos.desk import SECOND_MATCHING, Desk
from jamp.chaos.faults import Fault
from jamp.chaos.load import Load
from jamp.chaos.reconcile import Look, Reconciliation, reconcile
from shared.mongo import create_client

# Longest wait for a registration made after the fault to reach every consumer.
RECOVERY_SECONDS = 180.0


@dataclass(frozen=True)
class RoundResult:
    fault: str
    round: int
    recovery_seconds: float | None
    """From the fault until a registration made after it reached every consumer and every
    live replica said ready; None: not within ``RECOVERY_SECONDS``."""
    reconciliation: Reconciliation

    def row(self) -> dict[str, object]:
        recovery = None if self.recovery_seconds is None else round(self.recovery_seconds, 2)
        return {"fault": self.fault, "round": self.round, "recovery_seconds": recovery,
                **asdict(self.reconciliation)}  # fmt: skip


@dataclass
class RunningDesk:
    desk: Desk
    poison: list[str] = field(default_factory=list)
    """Keys of every poison record sent to this desk: their dead letters are expected."""


@contextlib.asynccontextmanager
async def fresh_desk(state_dir: Path) -> AsyncIterator[RunningDesk]:
    """New servers and services under a new folder of ``state_dir``; afterwards only their
    logs are kept (to read why a round went wrong)."""
    desk = Desk(await asyncio.to_thread(_new_folder, state_dir))
    try:
        await desk.start()
        yield RunningDesk(desk)
    finally:
        await desk.stop()
        await asyncio.to_thread(_keep_only_logs, desk.state_dir)


def _new_folder(state_dir: Path) -> Path:
    state_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="desk-", dir=state_dir))


def _keep_only_logs(folder: Path) -> None:
    for part in folder.iterdir():
        if part.name != "logs":
            shutil.rmtree(part, ignore_errors=True)


async def run_round(
    running: RunningDesk, name: str, fault: Fault, number: int, requests: int, concurrency: int
) -> RoundResult:
    desk = running.desk
    if fault.replicas:
        await _two_matching_replicas(desk)
    load = Load(desk.urls["companies"], requests, concurrency)
    loading = asyncio.create_task(load.run())
    await load.halfway.wait()
    started = asyncio.get_running_loop().time()
    running.poison += await fault.inject(desk, uuid.uuid4().hex[:8])
    recovered = await _recovered(desk)
    await loading
    result = await reconcile(desk, load.answers, running.poison)
    recovery = None if recovered is None else recovered - started
    return RoundResult(name, number, recovery, result)


async def _two_matching_replicas(desk: Desk) -> None:
    """Both replicas running before the fault kills one: the one an earlier round on this
    desk killed for good comes back first."""
    if SECOND_MATCHING not in desk.services:
        await desk.add(SECOND_MATCHING, "matching")
    for replica in ("matching", SECOND_MATCHING):
        if not desk.services[replica].running:
            await desk.restart(replica)


async def _recovered(desk: Desk) -> float | None:
    """When a registration made after the fault has reached every consumer and every live
    replica's /readyz says ok (the broker's data healed, too)."""
    probe = await Load(desk.urls["companies"], 1, 1).register_one(f"probe-{uuid.uuid4().hex}")
    if probe.status != 201:
        return None
    loop = asyncio.get_running_loop()
    mongo = create_client(desk.settings.mongodb_uri)
    look = Look(desk.settings, mongo, [probe], [])
    try:
        async with aiohttp.ClientSession() as http, asyncio.timeout(RECOVERY_SECONDS):
            while True:
                with contextlib.suppress(PyMongoError):
                    await look.take()
                    if look.result.lost == 0 and await _all_ready(desk, http):
                        return loop.time()
                await asyncio.sleep(0.2)
    except TimeoutError:
        return None
    finally:
        await mongo.close()


async def _all_ready(desk: Desk, http: aiohttp.ClientSession) -> bool:
    for replica, process in desk.services.items():
        if not process.running:
            continue  # a replica killed for good
        try:
            async with http.get(f"{desk.urls[replica]}/readyz") as response:
                if (await response.json()).get("status") != "ok":
                    return False
        except aiohttp.ClientError:
            return False
    return True
