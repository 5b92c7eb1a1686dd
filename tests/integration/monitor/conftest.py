"""The monitor on a loopback socket, beside the companies service, on the same servers."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from aiokafka import AIOKafkaProducer

from services.monitor.app import create_app
from services.monitor.settings import MonitorSettings
from shared.kafka import create_producer
from shared.settings import ServiceSettings
from tests.support import Caller, granted, serving


@pytest.fixture
def monitor_settings(settings: ServiceSettings) -> MonitorSettings:
    return MonitorSettings.of(settings).model_copy(update={"monitor_alert_seconds": 0.2})


@pytest.fixture
async def monitor(monitor_settings: MonitorSettings) -> AsyncIterator[TestClient[Any, Any]]:
    async with serving(create_app, monitor_settings) as client:
        yield client


@pytest.fixture
async def operator(monitor: TestClient[Any, Any]) -> Caller:
    return await granted(monitor, "operator")


@pytest.fixture
async def admin(monitor: TestClient[Any, Any]) -> Caller:
    return await granted(monitor, "admin")


@pytest.fixture
async def producer(settings: ServiceSettings) -> AsyncIterator[AIOKafkaProducer]:
    started = create_producer(settings, "test-producer")
    await started.start()
    yield started
    await started.stop()
