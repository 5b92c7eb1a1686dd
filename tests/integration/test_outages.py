"""A service while MongoDB is away: it says so, refuses clearly, and recovers by itself."""

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pymongo.errors import ServerSelectionTimeoutError

from services.companies.app import create_app
from shared.embedded import EmbeddedStack
from shared.kafka import ensure_topics
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.test_companies_api import registration
from tests.support import serving


async def test_mongodb_down_is_unready_and_refuses_with_503_then_recovers(
    private_stack: EmbeddedStack, private_client: TestClient[Any, Any]
) -> None:
    await private_stack.stop_server("mongodb")
    ready = await private_client.get("/readyz")
    assert ready.status == 503
    assert (await ready.json())["checks"]["mongodb"] == "unavailable"
    refused = await private_client.post("/companies", json=registration())
    assert refused.status == 503
    assert refused.content_type == "application/problem+json"
    assert refused.headers["Retry-After"] == "5"
    assert (await private_client.get("/healthz")).status == 200  # the process itself is fine

    await private_stack.start_server("mongodb")
    assert (await private_client.get("/readyz")).status == 200
    accepted = await private_client.post("/companies", json=registration())
    assert accepted.status == 201


async def test_a_service_started_before_its_database_answers_waits_for_it(
    private_stack: EmbeddedStack, private_settings: ServiceSettings
) -> None:
    await ensure_topics(
        private_settings.kafka_bootstrap_servers, Topics(private_settings.topic_prefix).all()
    )
    await private_stack.stop_server("mongodb")
    async with AsyncExitStack() as started:
        starting = asyncio.create_task(
            started.enter_async_context(serving(create_app, private_settings))
        )
        await asyncio.sleep(6)  # past one whole server selection (5 s): it used to exit here
        assert not starting.done()

        await private_stack.start_server("mongodb")
        client = await asyncio.wait_for(starting, 30)
        assert (await client.get("/readyz")).status == 200
        assert (await client.post("/companies", json=registration())).status == 201


async def test_a_database_that_does_not_answer_in_time_fails_the_start(
    private_stack: EmbeddedStack, private_settings: ServiceSettings
) -> None:
    settings = private_settings.model_copy(update={"database_start_wait_seconds": 1.0})
    await private_stack.stop_server("mongodb")
    with pytest.raises(ServerSelectionTimeoutError):
        async with serving(create_app, settings):
            pass
