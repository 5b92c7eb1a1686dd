"""One fault round: fresh servers, load, the fault halfway, recovery watched, reconciled."""

import asyncio
import contextlib
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp
from pymongo.errors import PyMongoError

from shared.chaos.desk import Desk
from shared.chaos.faults import Fault
from shared.chaos.load import Load
from shared.chaos.reconcile import Reconciliation, reconcile
from shared.mongo import create_client


@dataclass(frozen=True)
class RoundResult:
    fault: str
    round: int
    recovery_seconds: float
    reconciliation: Reconciliation

    def row(self) -> dict[str, object]:
        return {"fault": self.fault, "round": self.round,
                "recovery_seconds": round(self.recovery_seconds, 2),
                **asdict(self.reconciliation)}  # fmt: skip


async def run_round(
    name: str, fault: Fault, number: int, requests: int, concurrency: int
) -> RoundResult:
    with tempfile.TemporaryDirectory(prefix="jamp-chaos-") as folder:
        desk = Desk(Path(folder))
        try:
            await desk.start()
            load = Load(desk.urls["companies"], requests, concurrency)
            running = asyncio.create_task(load.run())
            await load.halfway.wait()
            started = asyncio.get_running_loop().time()
            poison = await fault(desk)
            recovered = await _recovered(desk, number) - started
            await running
            result = await reconcile(desk, load.answers, poison)
            return RoundResult(name, number, recovered, result)
        finally:
            await desk.stop()


async def _recovered(desk: Desk, number: int, timeout: float = 120.0) -> float:
    """When a registration made after the fault has reached matching's read model and
    every live replica's /readyz says ok (the broker's data healed, too)."""
    probe = Load(desk.urls["companies"], 1, 1)
    answer = await probe.register_one(f"probe-{number}")
    loop = asyncio.get_running_loop()
    mongo = create_client(desk.settings.mongodb_uri)
    read_model = mongo[desk.settings.database_name("matching")]["companies"]
    try:
        async with aiohttp.ClientSession() as http, asyncio.timeout(timeout):
            while True:
                with contextlib.suppress(PyMongoError):
                    seen = await read_model.find_one({"_id": answer.company_id})
                    if seen is not None and await _all_ready(desk, http):
                        return loop.time()
                await asyncio.sleep(0.2)
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
