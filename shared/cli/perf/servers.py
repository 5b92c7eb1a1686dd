"""The servers a benchmark runs on: given ones, or a fresh embedded stack of its own."""

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from shared.embedded import EmbeddedStack


@dataclass(frozen=True)
class Servers:
    mongodb_uri: str
    kafka_bootstrap: str
    stack: EmbeddedStack | None
    """The embedded stack when the benchmark started one (so it can see its processes)."""


@asynccontextmanager
async def servers(mongodb_uri: str | None, kafka_bootstrap: str | None) -> AsyncIterator[Servers]:
    if mongodb_uri and kafka_bootstrap:
        yield Servers(mongodb_uri, kafka_bootstrap, None)
        return
    with tempfile.TemporaryDirectory(prefix="jamp-bench-") as folder:
        stack = EmbeddedStack(Path(folder))
        await stack.start()
        try:
            yield Servers(stack.mongodb_uri, stack.kafka_bootstrap, stack)
        finally:
            await stack.stop()
