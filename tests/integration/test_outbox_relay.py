"""The outbox relay across a broker outage, and replay after a memory-only broker restart."""

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient
from typer.testing import CliRunner

from jamp import app as jamp
from shared.embedded import EmbeddedStack
from shared.envelope import Envelope
from shared.http.appkeys import METRICS
from shared.kafka import ensure_topics
from shared.mongo import create_client
from shared.outbox import Outbox
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.test_companies_api import registration
from tests.support import eventually, read_topic


async def pending_rows(settings: ServiceSettings) -> int:
    mongo = create_client(settings.mongodb_uri)
    try:
        return await Outbox(mongo[settings.database_name("companies")]["outbox"]).backlog()
    finally:
        await mongo.close()


async def registered_ids(settings: ServiceSettings, count: int) -> list[str]:
    topic = Topics(settings.topic_prefix).of("companies")
    records = await read_topic(settings, topic, count, timeout=30)
    return [Envelope.from_bytes(record.value).subject for record in records]


async def test_requests_succeed_while_kafka_is_down_and_nothing_is_lost(
    private_stack: EmbeddedStack,
    private_settings: ServiceSettings,
    private_client: TestClient[Any, Any],
) -> None:
    await private_stack.stop_server("kafka")
    accepted = []
    for index in range(3):
        response = await private_client.post("/companies", json=registration(name_en=f"Co {index}"))
        assert response.status == 201
        accepted.append((await response.json())["company"]["company_id"])
    ready = await (await private_client.get("/readyz")).json()
    checks = {
        "mongodb": "ok",
        "kafka": "unavailable",
        "relay": "ok",
        "identity-relay": "ok",
        "consumer": "ok",
    }
    assert ready == {"status": "degraded", "checks": checks}
    assert await pending_rows(private_settings) == 3  # a row each: company + key events

    metrics = private_client.app[METRICS]

    async def relay_failed() -> bool:
        return (metrics.registry.get_sample_value("outbox_publish_failures_total") or 0) > 0

    await eventually(relay_failed, timeout=30)  # the relay keeps trying meanwhile
    await private_stack.start_server("kafka")
    await ensure_topics(
        private_settings.kafka_bootstrap_servers, Topics(private_settings.topic_prefix).all()
    )
    await eventually(lambda: _no_pending(private_settings), timeout=60)
    assert sorted(await registered_ids(private_settings, 3)) == sorted(accepted)


async def test_a_broker_restart_loses_nothing_after_replay(
    private_stack: EmbeddedStack,
    private_settings: ServiceSettings,
    private_client: TestClient[Any, Any],
) -> None:
    for index in range(2):
        await private_client.post("/companies", json=registration(name_en=f"Co {index}"))
    await eventually(lambda: _no_pending(private_settings))
    await private_stack.stop_server("kafka")
    await private_stack.start_server("kafka")  # memory only: every topic and record is gone
    await ensure_topics(
        private_settings.kafka_bootstrap_servers, Topics(private_settings.topic_prefix).all()
    )

    environment = {
        "JAMP_MONGODB_URI": private_settings.mongodb_uri,
        "JAMP_DATABASE_PREFIX": private_settings.database_prefix,
    }
    result = await asyncio.to_thread(
        CliRunner().invoke,
        jamp,
        ["outbox", "replay", "--since", "2000-01-01T00:00:00", "--owner", "companies"],
        env=environment,
    )
    assert result.exit_code == 0, result.output
    assert "companies: 4 events" in result.output
    await eventually(lambda: _no_pending(private_settings), timeout=30)
    assert len(await registered_ids(private_settings, 2)) == 2


async def _no_pending(settings: ServiceSettings) -> bool:
    return await pending_rows(settings) == 0
