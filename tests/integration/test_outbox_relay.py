"""The outbox relay across a broker outage, and replay after a memory-only broker restart."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from typer.testing import CliRunner

from services.companies.app import create_app
from shared.cli import app as jamp
from shared.embedded import EmbeddedStack
from shared.envelope import Envelope
from shared.kafka import ensure_topics
from shared.mongo import create_client
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.test_companies_api import registration
from tests.support import eventually, isolated_settings, read_topic


@pytest.fixture
async def own_stack(tmp_path: Path) -> AsyncIterator[EmbeddedStack]:
    """A broker of this test's own, so that stopping it disturbs no other test."""
    stack = EmbeddedStack(tmp_path)
    await stack.start()
    yield stack
    await stack.stop()


@pytest.fixture
def outage_settings(own_stack: EmbeddedStack) -> ServiceSettings:
    return isolated_settings(own_stack.mongodb_uri, own_stack.kafka_bootstrap)


@pytest.fixture
async def outage_client(outage_settings: ServiceSettings) -> AsyncIterator[TestClient[Any, Any]]:
    topics = Topics(outage_settings.topic_prefix).all()
    await ensure_topics(outage_settings.kafka_bootstrap_servers, topics)
    client = TestClient(TestServer(create_app(outage_settings)))
    await client.start_server()
    yield client
    await client.close()


async def pending_rows(settings: ServiceSettings) -> int:
    mongo = create_client(settings.mongodb_uri)
    try:
        outbox = mongo[settings.database_name("companies")]["outbox"]
        return await outbox.count_documents({"sent_at": None})
    finally:
        await mongo.close()


async def registered_ids(settings: ServiceSettings, count: int) -> list[str]:
    topic = Topics(settings.topic_prefix).of("companies")
    records = await read_topic(settings, topic, count, timeout=30)
    return [Envelope.from_bytes(record.value).subject for record in records]


async def test_requests_succeed_while_kafka_is_down_and_nothing_is_lost(
    own_stack: EmbeddedStack, outage_settings: ServiceSettings, outage_client: TestClient[Any, Any]
) -> None:
    await own_stack.stop_kafka()
    accepted = []
    for index in range(3):
        response = await outage_client.post("/companies", json=registration(name_en=f"Co {index}"))
        assert response.status == 201
        accepted.append((await response.json())["company"]["company_id"])
    ready = await (await outage_client.get("/readyz")).json()
    assert ready == {"status": "degraded", "checks": {"mongodb": "ok", "kafka": "unavailable"}}
    assert await pending_rows(outage_settings) == 6  # company + key events

    await asyncio.sleep(1)  # the relay keeps trying meanwhile
    await own_stack.start_kafka()
    await ensure_topics(
        outage_settings.kafka_bootstrap_servers, Topics(outage_settings.topic_prefix).all()
    )
    await eventually(lambda: _no_pending(outage_settings), timeout=60)
    assert sorted(await registered_ids(outage_settings, 3)) == sorted(accepted)


async def test_a_broker_restart_loses_nothing_after_replay(
    own_stack: EmbeddedStack, outage_settings: ServiceSettings, outage_client: TestClient[Any, Any]
) -> None:
    for index in range(2):
        await outage_client.post("/companies", json=registration(name_en=f"Co {index}"))
    await eventually(lambda: _no_pending(outage_settings))
    await own_stack.stop_kafka()
    await own_stack.start_kafka()  # memory only: every topic and record is gone
    await ensure_topics(
        outage_settings.kafka_bootstrap_servers, Topics(outage_settings.topic_prefix).all()
    )

    environment = {
        "JAMP_MONGODB_URI": outage_settings.mongodb_uri,
        "JAMP_DATABASE_PREFIX": outage_settings.database_prefix,
    }
    result = await asyncio.to_thread(
        CliRunner().invoke,
        jamp,
        ["outbox", "replay", "--since", "2000-01-01T00:00:00", "--owner", "companies"],
        env=environment,
    )
    assert result.exit_code == 0, result.output
    assert "companies: 4 events" in result.output
    await eventually(lambda: _no_pending(outage_settings), timeout=30)
    assert len(await registered_ids(outage_settings, 2)) == 2


async def _no_pending(settings: ServiceSettings) -> bool:
    return await pending_rows(settings) == 0
