"""``jamp dev``: the whole desk on one machine, on the embedded servers."""

import asyncio
import contextlib
import json
import os
import secrets
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import SecretStr
from pydantic_settings import BaseSettings
from rich.console import Console

from shared.embedded import (
    EmbeddedStack,
    ManagedProcess,
    StackError,
    free_port,
    port_is_free,
    wait_healthy,
)
from shared.kafka import ensure_topics
from shared.private_files import read_or_create, write_private
from shared.settings import ServiceSettings
from shared.topics import Topics

console = Console(highlight=False)
# Every service of the desk and its dev port offset (base port + n). The monitor starts
# last: it is told where the others are, to show their health.
PORTS = {
    "companies": 1,
    "proposals": 2,
    "inquiries": 3,
    "matching": 4,
    "notifications": 6,
    "monitor": 5,
}
SERVICES = list(PORTS)
MONITOR = "monitor"
NOTIFICATIONS = "notifications"
INQUIRIES = "inquiries"  # starts before notifications, whose mail links to its files
# The dev SMTP relay (a catcher keeping mail under the state folder) and the
# notifications service's inbound listener for replies.
SMTP_CATCHER_OFFSET, INBOUND_OFFSET = 25, 26
MAIL_FOLDER = "mail"
# Databases that hold an outbox: every service's and the key ledger's.
OUTBOX_OWNERS = [*PORTS, "identity"]
DEFAULT_STATE_DIR = Path(".jamp/dev")
STATE_DIR_VARIABLE = "JAMP_STATE_DIR"
"""Which desk ``jamp`` commands talk to, by its state folder; unset, the default one."""
ENV_FILE = "dev.env"
"""Where in its state folder a running desk tells other ``jamp`` commands how to reach it:
one per desk, so that desks started from one checkout never redirect each other's CLI."""
S = TypeVar("S", bound=BaseSettings)


def state_dir_in_use() -> Path:
    return Path(os.environ.get(STATE_DIR_VARIABLE) or DEFAULT_STATE_DIR)


def desk_settings(kind: type[S], state_dir: Path | None = None) -> S:
    """Environment first; then the file ``jamp dev`` wrote for the desk of ``state_dir``
    (``$JAMP_STATE_DIR``, else the default state folder)."""
    env_file = (state_dir or state_dir_in_use()) / ENV_FILE
    return kind(_env_file=env_file if env_file.exists() else None)


@dataclass(frozen=True)
class DevOptions:
    state_dir: Path
    mongo_port: int
    kafka_port: int
    base_port: int
    durable_broker: bool = False


async def run_dev(options: DevOptions) -> int:
    stack = EmbeddedStack(
        options.state_dir, options.mongo_port, options.kafka_port, options.durable_broker
    )
    services: list[ManagedProcess] = []
    stop = _stop_event()
    try:
        _check_ports_free(options)
        await stack.start()
        console.print(f"mongodb {stack.mongodb_uri}")
        console.print(f"kafka {stack.kafka_bootstrap}")
        settings = ServiceSettings(
            mongodb_uri=stack.mongodb_uri, kafka_bootstrap_servers=stack.kafka_bootstrap
        )
        if settings.key_pepper is None:  # not given: the desk's own, kept with its data
            pepper = SecretStr(dev_pepper(options.state_dir))
            settings = settings.model_copy(update={"key_pepper": pepper})
        _write_env_file(settings, options.state_dir)
        # A broker without the desk's data (the memory engine at every start) is noticed
        # by each service, which re-publishes its outbox window (shared/healing.py).
        await ensure_topics(stack.kafka_bootstrap, Topics(settings.topic_prefix).all())
        catcher, mail_env = await start_mail_catcher(options)
        services.append(catcher)
        urls: dict[str, str] = {}
        for name, offset in PORTS.items():
            port = _port(options, offset)
            env = {"JAMP_KEY_PEPPER": settings.pepper()}
            if name == MONITOR:
                env["JAMP_MONITOR_TARGETS"] = json.dumps(urls)
            if name == NOTIFICATIONS:
                env |= {
                    **mail_env,
                    "JAMP_NOTIFICATIONS_PUBLIC_URL": f"http://127.0.0.1:{port}",
                    "JAMP_INQUIRIES_PUBLIC_URL": urls[INQUIRIES],
                }
            services.append(await _start_service(name, options, stack, port, env))
            urls[name] = f"http://127.0.0.1:{port}"
        console.print("[dim]Ctrl-C stops everything[/]")
        watching = asyncio.create_task(_stop_when_one_exits(services, stop))
        await stack.supervise(stop, lambda line: console.print(f"[yellow]{line}[/]"))
        return 1 if await watching else 0
    except StackError as error:
        console.print(f"[red]{error}[/]")
        return 1
    finally:
        for process in reversed(services):
            await process.stop()
        await stack.stop()
        console.print("[dim]stopped[/]")


def _port(options: DevOptions, offset: int) -> int:
    return options.base_port + offset if options.base_port else free_port()


def _check_ports_free(options: DevOptions) -> None:
    """Before anything starts: a port still held (another desk, or one still stopping)
    would answer the health checks in the place of the service about to start there."""
    if not options.base_port:
        return
    for offset in (*PORTS.values(), SMTP_CATCHER_OFFSET, INBOUND_OFFSET):
        port = options.base_port + offset
        if not port_is_free(port):
            raise StackError(
                f"port {port} is in use: another desk, or one still stopping; stop it, or "
                "start this one with another --base-port"
            )


async def start_mail_catcher(
    options: DevOptions, say: Callable[[str], None] = console.print
) -> tuple[ManagedProcess, dict[str, str]]:
    """The dev relay in its own process; the variables that point notifications at it.
    ``say`` hears where it listens (``jamp chaos`` starts one per round and keeps quiet)."""
    port, inbound = _port(options, SMTP_CATCHER_OFFSET), _port(options, INBOUND_OFFSET)
    folder = options.state_dir / MAIL_FOLDER
    process = ManagedProcess(
        "mailcatcher",
        [sys.executable, "-m", "shared.mailcatcher", "--port", str(port), "--folder", str(folder)],
        options.state_dir / "logs" / "mailcatcher.log",
    )
    await process.start()
    await _wait_listening(process, port)
    say(f"smtp smtp://127.0.0.1:{port}")
    say(f"[dim]caught mail is kept in {folder}; `jamp mail list` shows it[/]")
    say(f"inbound smtp://127.0.0.1:{inbound}")
    env = {
        "JAMP_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "JAMP_NOTIFICATIONS_INBOUND_PORT": str(inbound),
    }
    return process, env


async def _wait_listening(process: ManagedProcess, port: int, timeout: float = 15.0) -> None:
    try:
        async with asyncio.timeout(timeout):
            while process.running:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    await asyncio.sleep(0.1)
                    continue
                writer.close()
                return
    except TimeoutError:
        pass
    raise StackError(f"{process.name} did not start; see {process.log_path}")


async def _start_service(
    name: str, options: DevOptions, stack: EmbeddedStack, port: int, env: dict[str, str]
) -> ManagedProcess:
    process = ManagedProcess(
        name,
        [sys.executable, "-m", f"services.{name}"],
        options.state_dir / "logs" / f"{name}.log",
        env={
            "JAMP_MONGODB_URI": stack.mongodb_uri,
            "JAMP_KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
            "JAMP_HTTP_PORT": str(port),
            **env,
        },
    )
    await process.start()
    url = f"http://127.0.0.1:{port}"
    await wait_healthy(process, url)
    console.print(f"{name} {url}")
    return process


async def _stop_when_one_exits(services: list[ManagedProcess], stop: asyncio.Event) -> bool:
    """Until ``stop``: a service that exits stops the desk, saying which and where its log
    is, rather than leaving a desk that looks up with a part of it gone. True if one did."""
    while not stop.is_set():
        for process in services:
            if not process.running:
                code = process.process.returncode if process.process else None
                console.print(f"[red]{process.name} exited ({code}); see {process.log_path}[/]")
                stop.set()
                return True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.5):
                await stop.wait()
    return False


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


def dev_pepper(state_dir: Path) -> str:
    """The dev desk's key pepper: generated on the first start and kept in the state
    folder, so that keys stay valid across restarts."""
    return read_or_create(state_dir / "key_pepper", lambda: secrets.token_urlsafe(32))


def _write_env_file(settings: ServiceSettings, state_dir: Path) -> None:
    """So that ``jamp keys …`` in another terminal finds the running desk."""
    path = state_dir / ENV_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if state_dir.resolve() != DEFAULT_STATE_DIR.resolve():
        console.print(f"other terminals: export {STATE_DIR_VARIABLE}={state_dir.resolve()}")
    write_private(
        path,
        f"JAMP_MONGODB_URI={settings.mongodb_uri}\n"
        f"JAMP_KAFKA_BOOTSTRAP_SERVERS={settings.kafka_bootstrap_servers}\n"
        f"JAMP_KEY_PEPPER={settings.pepper()}\n",
    )
