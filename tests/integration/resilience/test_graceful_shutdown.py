"""SIGTERM lets in-flight HTTP requests finish: the service drains before it closes."""

import asyncio
import signal
import sys
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from shared.embedded import EmbeddedStack, ManagedProcess, free_port
from shared.kafka import ensure_topics
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.resilience.test_clients_learn_the_truth import corporate_number
from tests.integration.test_cli_keys import environment
from tests.integration.test_companies_api import registration
from tests.support import eventually

# The drain (2 s) plus the bounded stop of everything (see shared/serve.py), with room
# for a loaded machine; a service waiting on its database's timeouts takes far longer.
SHUTDOWN_DEADLINE = 40.0


async def test_sigterm_under_load_resets_no_request(
    settings: ServiceSettings, tmp_path: Path
) -> None:
    port = free_port()
    service = ManagedProcess(
        "companies",
        [sys.executable, "-m", "services.companies"],
        tmp_path / "companies.log",
        env={
            **environment(settings),
            "JAMP_HTTP_PORT": str(port),
            "JAMP_PUBLIC_RATE_PER_MINUTE": "1000000",
            "JAMP_PUBLIC_RATE_BURST": "1000000",
            "JAMP_HTTP_DRAIN_SECONDS": "1.5",
        },
    )
    await service.start()
    url = f"http://127.0.0.1:{port}"
    outcomes: Counter[str] = Counter()
    draining = asyncio.Event()  # what a load balancer learns from /readyz
    try:
        async with aiohttp.ClientSession() as client:
            await eventually(lambda: _answers(client, f"{url}/healthz"), timeout=30)

            async def register() -> None:
                while not draining.is_set():
                    body = registration(corporate_number=corporate_number())
                    try:
                        async with client.post(f"{url}/companies", json=body) as response:
                            outcomes[str(response.status)] += 1
                    except aiohttp.ClientError as error:
                        outcomes[type(error).__name__] += 1

            async def balancer() -> None:
                while True:
                    async with client.get(f"{url}/readyz") as response:
                        if response.status == 503:
                            draining.set()
                            return
                    await asyncio.sleep(0.1)

            workers = [asyncio.create_task(register()) for _ in range(8)]

            async def under_load() -> bool:
                return sum(outcomes.values()) >= 40

            await eventually(under_load)
            assert service.process is not None
            service.process.send_signal(signal.SIGTERM)
            await balancer()
            await asyncio.gather(*workers)
            assert await asyncio.wait_for(service.process.wait(), 30) == 0
        assert set(outcomes) == {"201"}, outcomes
    finally:
        await service.stop()


async def _answers(client: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with client.get(url) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


@pytest.mark.parametrize("name", ["companies", "matching", "inquiries"])
async def test_sigterm_with_the_database_down_still_stops_the_service(
    name: str, private_stack: EmbeddedStack, private_settings: ServiceSettings, tmp_path: Path
) -> None:
    port = free_port()
    service = ManagedProcess(
        name,
        [sys.executable, "-m", f"services.{name}"],
        tmp_path / f"{name}.log",
        env={**environment(private_settings), "JAMP_HTTP_PORT": str(port)},
    )
    await ensure_topics(
        private_settings.kafka_bootstrap_servers, Topics(private_settings.topic_prefix).all()
    )
    await service.start()
    try:
        async with aiohttp.ClientSession() as client:
            ready = f"http://127.0.0.1:{port}/readyz"
            await eventually(lambda: _answers(client, ready), 30)
            await private_stack.stop_server("mongodb")

            async def noticed() -> bool:  # the outage is known: background work is failing
                return not await _answers(client, ready)

            await eventually(noticed, 30)
        assert service.process is not None
        service.process.send_signal(signal.SIGTERM)
        # Generous, only so that a shutdown that never ends fails: every wait on the
        # database is bounded while stopping, instead of each waiting for its own timeout.
        assert await asyncio.wait_for(service.process.wait(), SHUTDOWN_DEADLINE) == 0
    finally:
        await service.stop()
