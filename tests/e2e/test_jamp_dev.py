"""``jamp dev`` as a person runs it: start, use over HTTP, stop, start again."""

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from jamp.dev import SERVICES
from services.companies.model import EXAMPLE_REGISTRATION

LINE = re.compile(r"^([a-z]+) (\S+)$")


class DevDesk:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.urls: dict[str, str] = {}
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> "DevDesk":
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "jamp", "dev",
            "--state-dir", str(self.state_dir), "--base-port", "0",
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self.process.stdout is not None
        async with asyncio.timeout(90):
            while not {*SERVICES, "smtp", "inbound"} <= set(self.urls):
                line = (await self.process.stdout.readline()).decode().strip()
                assert line or self.process.returncode is None, "jamp dev exited early"
                if match := LINE.match(line):
                    self.urls[match.group(1)] = match.group(2)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(60):
            assert await self.process.wait() == 0


def listening(address: str) -> bool:
    host, port = re.sub(r"^\w+://", "", address).split("/")[0].rsplit(":", 1)
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, int(port))) == 0


async def test_jamp_dev_runs_the_desk_and_stops_everything(tmp_path: Path) -> None:
    async with DevDesk(tmp_path) as desk, aiohttp.ClientSession() as http:
        assert desk.urls["mongodb"].startswith("mongodb://127.0.0.1:")
        assert re.match(r"127\.0\.0\.1:\d+$", desk.urls["kafka"])
        companies = desk.urls["companies"]
        async with http.post(f"{companies}/companies", json=EXAMPLE_REGISTRATION) as response:
            assert response.status == 201
            registered = await response.json()
        for service in SERVICES:
            async with http.get(f"{desk.urls[service]}/readyz") as response:
                assert (await response.json())["status"] == "ok", service
        async with http.get(f"{desk.urls['proposals']}/cities", params={"limit": 100}) as response:
            assert len((await response.json())["items"]) == 31
    assert not any(listening(url) for url in desk.urls.values())

    # The database lives in the state folder: the company and its key survive a restart.
    async with DevDesk(tmp_path) as desk, aiohttp.ClientSession() as http:
        company_id = registered["company"]["company_id"]
        headers = {"Authorization": f"Bearer {registered['api_key']}"}
        url = f"{desk.urls['companies']}/companies/{company_id}"
        async with http.get(url, headers=headers) as response:
            assert response.status == 200
            assert (await response.json())["name_en"] == EXAMPLE_REGISTRATION["name_en"]
        # Reference data is loaded at every start, but only what is missing.
        async with http.get(f"{desk.urls['proposals']}/cities", params={"limit": 100}) as response:
            assert len((await response.json())["items"]) == 31


async def test_a_port_still_held_is_said_before_anything_starts(tmp_path: Path) -> None:
    """Else the process holding it answers the health checks of the service meant there."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        base = holder.getsockname()[1] - 1  # the companies service's port is base + 1
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "jamp", "dev",
            "--state-dir", str(tmp_path), "--base-port", str(base),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        async with asyncio.timeout(30):
            output, _ = await process.communicate()
    assert process.returncode == 1
    assert f"port {base + 1} is in use" in output.decode()


def _child_running(parent: int, module: str) -> int:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    for child in map(int, children):
        if module in Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace"):
            return child
    raise LookupError(module)


async def test_a_service_that_dies_stops_the_desk_saying_which(tmp_path: Path) -> None:
    desk = DevDesk(tmp_path)
    await desk.__aenter__()
    assert desk.process is not None and desk.process.stdout is not None
    os.kill(_child_running(desk.process.pid, "services.companies"), signal.SIGKILL)
    async with asyncio.timeout(60):
        rest = (await desk.process.stdout.read()).decode()
        assert await desk.process.wait() == 1
    assert "companies exited" in rest and "companies.log" in rest.replace("\n", "")
    assert not any(listening(url) for url in desk.urls.values())
