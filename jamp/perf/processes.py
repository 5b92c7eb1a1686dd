"""Service processes for the benchmarks, and what the kernel says each one costs."""

import json
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

from shared.embedded import ManagedProcess, free_port, wait_healthy
from shared.settings import ServiceSettings

TICKS = os.sysconf("SC_CLK_TCK")


def settings_env(settings: ServiceSettings) -> dict[str, str]:
    """The environment that gives a service process these settings."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json", exclude={"key_pepper"}).items():
        if value is not None:
            text = json.dumps(value) if isinstance(value, list | dict) else str(value)
            env[f"JAMP_{name.upper()}"] = text
    env["JAMP_KEY_PEPPER"] = settings.pepper()
    return env


@asynccontextmanager
async def service(
    module: str, settings: ServiceSettings, logs: Path, extra: dict[str, str] | None = None
) -> AsyncIterator[tuple[ManagedProcess, str]]:
    """``python -m <module>`` on a free port, healthy; stopped (SIGTERM) afterwards."""
    port = free_port()
    env = {**settings_env(settings), "JAMP_HTTP_PORT": str(port), **(extra or {})}
    name = module.rsplit(".", 1)[-1]
    process = ManagedProcess(name, [sys.executable, "-m", module], logs / f"{name}.log", env)
    await process.start()
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_healthy(process, url)
        yield process, url
    finally:
        await process.stop()


def pid_of(process: ManagedProcess) -> int:
    assert process.process is not None
    return process.process.pid


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its waited-for children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return (utime + stime + cutime + cstime) / TICKS


def rss_megabytes(pid: int) -> float:
    """Resident memory now."""
    return _status_megabytes(pid, "VmRSS:")


def peak_megabytes(pid: int) -> float:
    """The most resident memory the process has had (its high-water mark)."""
    return _status_megabytes(pid, "VmHWM:")


def _status_megabytes(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_of(pids: dict[str, int]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> Iterator[tuple[str, float]]:
    for name, seconds in after.items():
        yield name, seconds - before.get(name, 0.0)
