"""Fixtures: the embedded servers once per session; a fresh database and topics per test."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.companies.app import create_app
from shared.embedded import EmbeddedStack
from shared.kafka import ensure_topics
from shared.logs import configure_logging
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.support import Caller, isolated_settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = Path(str(item.fspath)).parent.name
        if tier in ("unit", "integration", "e2e"):
            item.add_marker(tier)


@pytest.fixture(scope="session", autouse=True)
def logging_for_tests() -> None:
    configure_logging("WARNING", json=False)


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedStack]:
    embedded = EmbeddedStack(tmp_path_factory.mktemp("embedded"))
    await embedded.start()
    yield embedded
    await embedded.stop()


@pytest.fixture
async def settings(stack: EmbeddedStack) -> ServiceSettings:
    configured = isolated_settings(stack.mongodb_uri, stack.kafka_bootstrap)
    await ensure_topics(configured.kafka_bootstrap_servers, Topics(configured.topic_prefix).all())
    return configured


@pytest.fixture
async def client(settings: ServiceSettings) -> AsyncIterator[TestClient[Any, Any]]:
    """The companies service on a real loopback socket, built by its own create_app."""
    test_client = TestClient(TestServer(create_app(settings)))
    await test_client.start_server()
    yield test_client
    await test_client.close()


@pytest.fixture
def anonymous(client: TestClient[Any, Any]) -> Caller:
    return Caller(client, None)
