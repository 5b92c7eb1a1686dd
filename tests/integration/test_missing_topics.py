"""Asking the broker which of the desk's topics it lacks: about those alone, and without
the question creating them (what the relay's guard and the broker healer rely on)."""

from aiokafka import AIOKafkaProducer

from shared.kafka import ensure_topics, missing_topics, started
from shared.settings import ServiceSettings
from tests.support import topic_names


async def test_only_the_absent_topics_are_named_and_asking_creates_none(
    settings: ServiceSettings,
) -> None:
    present, absent = f"{settings.topic_prefix}.present", f"{settings.topic_prefix}.absent"
    await ensure_topics(settings.kafka_bootstrap_servers, [present])
    producer = await started(AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers))
    try:
        assert await missing_topics(producer.client, [present, absent, absent]) == {absent}
        assert await missing_topics(producer.client, [present]) == set()
        assert await missing_topics(producer.client, [absent]) == {absent}  # still absent
    finally:
        await producer.stop()
    assert absent not in await topic_names(settings.kafka_bootstrap_servers)
