"""An idle service writes nothing: its polls (relay, SLA ticker, webhooks) only read."""

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from shared.mongo import MongoClient, create_client
from shared.settings import ServiceSettings
from tests.support import eventually

WRITES = ("insert", "update", "delete")


async def writes(mongo: MongoClient) -> int:
    status = await mongo.admin.command("serverStatus")
    return sum(int(status["opcounters"][name]) for name in WRITES)


async def test_an_idle_inquiries_service_makes_no_writes(
    settings: ServiceSettings, inquiries: TestClient[Any, Any]
) -> None:
    mongo = create_client(settings.mongodb_uri)
    try:
        # Start-up writes (indexes, the relay's first lease) end; then a quiet second.
        async def quiet_second() -> bool:
            before = await writes(mongo)
            await asyncio.sleep(1.0)  # twenty polls of each loop at the test settings
            return await writes(mongo) == before

        await eventually(quiet_second, timeout=20)
        before = await writes(mongo)
        await asyncio.sleep(2.0)
        assert await writes(mongo) == before
    finally:
        await mongo.close()
