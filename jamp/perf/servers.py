"""The servers a benchmark runs on: given ones, or a fresh embedded stack of its own."""

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from jamp.perf.workload import run_settings
from shared.embedded import EmbeddedStack
from shared.mongo import create_client
from shared.settings import ServiceSettings


@dataclass(frozen=True)
class Servers:
    mongodb_uri: str
    kafka_bootstrap: str
    stack: EmbeddedStack | None
    """The embedded stack when the benchmark started one (so it can see its processes)."""
    desk: ServiceSettings | None = None
    """The names of the desk that ran on these servers first (``--ran-for``), if one did."""

    def desk_settings(self) -> ServiceSettings:
        """Settings for a benchmark's services: the desk that ran here, so they start on its
        grown databases and topics, or names of their own on fresh servers."""
        if self.desk is not None:
            return self.desk
        return run_settings(self.mongodb_uri, self.kafka_bootstrap)


@asynccontextmanager
async def servers(
    mongodb_uri: str | None, kafka_bootstrap: str | None, aged_writes: int = 0
) -> AsyncIterator[Servers]:
    """Given servers, or a fresh embedded stack; ``aged_writes`` first makes that many
    retryable writes, as a desk that has run for a while leaves behind in the server."""
    if mongodb_uri and kafka_bootstrap:
        await age(mongodb_uri, aged_writes)
        yield Servers(mongodb_uri, kafka_bootstrap, None)
        return
    with tempfile.TemporaryDirectory(prefix="jamp-bench-") as folder:
        stack = EmbeddedStack(Path(folder))
        await stack.start()
        try:
            await age(stack.mongodb_uri, aged_writes)
            yield Servers(stack.mongodb_uri, stack.kafka_bootstrap, stack)
        finally:
            await stack.stop()


async def age(mongodb_uri: str, writes: int) -> None:
    """Single retryable inserts (the driver's default), as the desk made before it stopped
    writing when idle: ten lease renewals a second for half an hour are ~18,000."""
    if writes <= 0:
        return
    uri = mongodb_uri.replace("retryWrites=false", "retryWrites=true")
    client = create_client(uri)
    try:
        aging = client["bench_aging"]["writes"]
        for number in range(writes):
            await aging.insert_one({"n": number})
    finally:
        await client.close()
