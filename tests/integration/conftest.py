"""Fixtures of the integration tier beyond the servers of tests/conftest.py."""

from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer

from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.streams import Publisher


@pytest.fixture
async def publish(settings: ServiceSettings) -> AsyncIterator[Publisher]:
    """Puts events on this test's real topics, as the services that own them would."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    yield Publisher(producer, Topics(settings.topic_prefix))
    await producer.stop()
