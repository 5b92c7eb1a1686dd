"""The desk of a fault round: fresh embedded servers and every service of ``jamp dev`` (the
notifications service with its mail catcher, the monitor watching the others), each its
own process on its own port; a second matching replica (same consumer group) on demand."""

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from jamp.dev import (
    INQUIRIES,
    MONITOR,
    NOTIFICATIONS,
    SERVICES,
    DevOptions,
    start_mail_catcher,
)
from shared.embedded import EmbeddedStack, ManagedProcess, free_port, wait_healthy
from shared.kafka import ensure_topics
from shared.settings import ServiceSettings
from shared.topics import Topics

PEPPER = "chaos-round-pepper-not-a-secret"
SECOND_MATCHING = "matching-2"
"""The replica that joins matching's consumer group in the two-replica fault."""


@dataclass
class Desk:
    state_dir: Path
    stack: EmbeddedStack = field(init=False)
    services: dict[str, ManagedProcess] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    helpers: list[ManagedProcess] = field(default_factory=list)  # the mail catcher
    mail_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.stack = EmbeddedStack(self.state_dir)

    @property
    def settings(self) -> ServiceSettings:
        from pydantic import SecretStr

        return ServiceSettings(
            mongodb_uri=self.stack.mongodb_uri,
            kafka_bootstrap_servers=self.stack.kafka_bootstrap,
            key_pepper=SecretStr(PEPPER),
        )

    async def start(self) -> None:
        await self.stack.start()
        await ensure_topics(self.stack.kafka_bootstrap, Topics(self.settings.topic_prefix).all())
        options = DevOptions(self.state_dir, 0, 0, 0)
        catcher, self.mail_env = await start_mail_catcher(options, say=lambda _: None)
        self.helpers.append(catcher)
        for service in SERVICES:  # the monitor last: it is told where the others are
            await self.add(service, service)

    async def add(self, replica: str, service: str) -> None:
        """Start ``service`` as ``replica`` on a free port and wait until it answers."""
        port = free_port()
        self.services[replica] = self._process(service, replica, port)
        self.urls[replica] = f"http://127.0.0.1:{port}"
        await self.restart(replica)

    def _process(self, service: str, replica: str, port: int) -> ManagedProcess:
        env = {
            "JAMP_MONGODB_URI": self.stack.mongodb_uri,
            "JAMP_KAFKA_BOOTSTRAP_SERVERS": self.stack.kafka_bootstrap,
            "JAMP_HTTP_PORT": str(port),
            "JAMP_KEY_PEPPER": PEPPER,
            # The load is one client address registering fast.
            "JAMP_PUBLIC_RATE_PER_MINUTE": "1000000",
            "JAMP_PUBLIC_RATE_BURST": "1000000",
            "JAMP_KAFKA_SESSION_TIMEOUT_MS": "6000",
            "JAMP_LOG_LEVEL": "WARNING",
        }
        if service == MONITOR:
            env["JAMP_MONITOR_TARGETS"] = json.dumps(self.urls)
        if service == NOTIFICATIONS:
            env |= {
                **self.mail_env,
                "JAMP_NOTIFICATIONS_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "JAMP_INQUIRIES_PUBLIC_URL": self.urls[INQUIRIES],
            }
        return ManagedProcess(
            replica,
            [sys.executable, "-m", f"services.{service}"],
            self.state_dir / "logs" / f"{replica}.log",
            env=env,
        )

    async def restart(self, replica: str) -> None:
        """Start (again, on the same port) and wait until it answers."""
        process = self.services[replica]
        await process.start()
        await wait_healthy(process, self.urls[replica])

    async def stop(self) -> None:
        for process in [*reversed(self.services.values()), *self.helpers]:
            await process.stop()
        await self.stack.stop()
