"""A small desk for one fault round: fresh embedded servers, the companies service and two
matching replicas (one consumer group), each its own process on its own port."""

import sys
from dataclasses import dataclass, field
from pathlib import Path

from shared.embedded import EmbeddedStack, ManagedProcess, free_port, wait_healthy
from shared.kafka import ensure_topics
from shared.settings import ServiceSettings
from shared.topics import Topics

PEPPER = "chaos-round-pepper-not-a-secret"
REPLICAS = {"companies": ["companies"], "matching": ["matching-a", "matching-b"]}


@dataclass
class Desk:
    state_dir: Path
    stack: EmbeddedStack = field(init=False)
    services: dict[str, ManagedProcess] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

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
        for service, replicas in REPLICAS.items():
            for replica in replicas:
                port = free_port()
                self.urls[replica] = f"http://127.0.0.1:{port}"
                self.services[replica] = self._process(service, replica, port)
                await self.restart(replica)

    def _process(self, service: str, replica: str, port: int) -> ManagedProcess:
        return ManagedProcess(
            replica,
            [sys.executable, "-m", f"services.{service}"],
            self.state_dir / "logs" / f"{replica}.log",
            env={
                "JAMP_MONGODB_URI": self.stack.mongodb_uri,
                "JAMP_KAFKA_BOOTSTRAP_SERVERS": self.stack.kafka_bootstrap,
                "JAMP_HTTP_PORT": str(port),
                "JAMP_KEY_PEPPER": PEPPER,
                "JAMP_PUBLIC_RATE_PER_MINUTE": "1000000",
                "JAMP_PUBLIC_RATE_BURST": "1000000",
                "JAMP_KAFKA_SESSION_TIMEOUT_MS": "6000",
                "JAMP_LOG_LEVEL": "WARNING",
            },
        )

    async def restart(self, replica: str) -> None:
        """Start (again, on the same port) and wait until it answers."""
        process = self.services[replica]
        await process.start()
        await wait_healthy(process, self.urls[replica])

    async def stop(self) -> None:
        for process in reversed(list(self.services.values())):
            await process.stop()
        await self.stack.stop()
