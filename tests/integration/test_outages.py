"""A service while MongoDB is away: it says so, refuses clearly, and recovers by itself."""

from typing import Any

from aiohttp.test_utils import TestClient

from shared.embedded import EmbeddedStack
from tests.integration.test_companies_api import registration


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
