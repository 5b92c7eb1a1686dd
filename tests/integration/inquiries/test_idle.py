"""An idle service writes nothing: its polls (relay, SLA ticker, webhooks) only read."""

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from shared.healing import STATE_ID
from shared.mongo import MongoClient, create_client
from shared.platform import HEALER
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
        # The last start-up write is the broker healer's first look recording the
        # broker's incarnation in the new database. That look (topics, the marker read
        # with its fetch timeout, the marker write, a second read) takes seconds on a
        # broker holding the topics of a long test run: a quiet second alone could pass
        # before it, and its one write then fell in the measured window.
        async def broker_recorded() -> bool:
            return await inquiries.app[HEALER].state.find_one({"_id": STATE_ID}) is not None

        await eventually(broker_recorded, timeout=30)

        # Other start-up writes (indexes, the relay's first lease) end; then a quiet second.
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
