"""Fixtures: the embedded servers once per session; a fresh database and topics per test."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.companies.app import create_app
from shared.embedded import EmbeddedStack
from shared.kafka import ensure_topics
from shared.logs import configure_logging
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.support import Caller, delete_every_topic, isolated_settings, serving

TESTS = Path(__file__).parent

pytest_plugins = ["tests.deadline"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The tier is the first folder under tests/, however deep a service groups its tests.
    for item in items:
        tier = Path(str(item.fspath)).relative_to(TESTS).parts[0]
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


@pytest.fixture(autouse=True)
async def topics_left_behind_are_deleted(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test makes its topics under a prefix of its own on the session's broker, and a
    client's metadata request lists every topic there is: left in place, they would make
    each test slower than the one before. Tests run one at a time, so after each one that
    used the shared broker, no topic on it is anyone's."""
    yield
    if "stack" in request.fixturenames:
        shared: EmbeddedStack = request.getfixturevalue("stack")
        await delete_every_topic(shared.kafka_bootstrap)


@pytest.fixture
async def settings(stack: EmbeddedStack) -> ServiceSettings:
    configured = isolated_settings(stack.mongodb_uri, stack.kafka_bootstrap)
    await ensure_topics(configured.kafka_bootstrap_servers, Topics(configured.topic_prefix).all())
    return configured


@pytest.fixture
async def client(settings: ServiceSettings) -> AsyncIterator[TestClient[Any, Any]]:
    """The companies service on a real loopback socket, built by its own create_app."""
    async with serving(create_app, settings) as test_client:
        yield test_client


@pytest.fixture
def anonymous(client: TestClient[Any, Any]) -> Caller:
    return Caller(client, None)


@pytest.fixture
async def private_stack(tmp_path: Path) -> AsyncIterator[EmbeddedStack]:
    """Servers of this test's own, so that stopping one disturbs no other test."""
    stack = EmbeddedStack(tmp_path)
    await stack.start()
    yield stack
    await stack.stop()


@pytest.fixture
def private_settings(private_stack: EmbeddedStack) -> ServiceSettings:
    return isolated_settings(private_stack.mongodb_uri, private_stack.kafka_bootstrap)


@pytest.fixture
async def private_client(private_settings: ServiceSettings) -> AsyncIterator[TestClient[Any, Any]]:
    topics = Topics(private_settings.topic_prefix).all()
    await ensure_topics(private_settings.kafka_bootstrap_servers, topics)
    async with serving(create_app, private_settings) as client:
        yield client
