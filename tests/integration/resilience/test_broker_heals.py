"""A broker that comes back empty heals by itself: a real Tansu, killed and restarted on
the same port, and no operator command."""

from typing import Any

from aiohttp.test_utils import TestClient
from aiokafka.admin import AIOKafkaAdminClient

from jamp.keys import create_key
from services.companies.app import create_app
from shared.embedded import EmbeddedStack
from shared.envelope import Envelope
from shared.healing import incarnation_topic
from shared.http.appkeys import METRICS
from shared.kafka import create_producer, ensure_topics
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.monitor.records import key_issued
from tests.integration.test_companies_api import registration
from tests.integration.test_outbox_relay import pending_rows as pending
from tests.support import Caller, eventually, isolated_settings, read_topic, serving


async def published_companies(settings: ServiceSettings, count: int) -> set[str]:
    records = await read_topic(settings, Topics(settings.topic_prefix).of("companies"), count, 30)
    return {Envelope.from_bytes(record.value).subject for record in records}


async def register(client: TestClient[Any, Any], name: str) -> str:
    response = await client.post("/companies", json=registration(name_en=name))
    assert response.status == 201, await response.text()
    company_id: str = (await response.json())["company"]["company_id"]
    return company_id


async def desk(stack: EmbeddedStack, check_seconds: float) -> ServiceSettings:
    """Settings of this test on its own servers, the desk's topics created."""
    settings = isolated_settings(
        stack.mongodb_uri, stack.kafka_bootstrap, broker_check_seconds=check_seconds
    )
    await ensure_topics(settings.kafka_bootstrap_servers, Topics(settings.topic_prefix).all())
    return settings


async def readiness(client: TestClient[Any, Any]) -> dict[str, Any]:
    body: dict[str, Any] = await (await client.get("/readyz")).json()
    return body


async def test_a_broker_killed_and_restarted_empty_gets_everything_back(
    private_stack: EmbeddedStack,
) -> None:
    stack = private_stack
    settings = await desk(stack, check_seconds=0.3)
    async with serving(create_app, settings) as client:
        before = {await register(client, f"Before {n}") for n in range(3)}
        await eventually(lambda: _none_pending(settings))
        assert await published_companies(settings, 3) == before

        await stack.kill_server("kafka")
        await stack.start_server("kafka")  # memory only: topics, records, groups gone
        after = {await register(client, f"After {n}") for n in range(3)}

        async def healed() -> bool:
            report = await readiness(client)
            return report["status"] == "ok" and await pending(settings) == 0

        await eventually(healed, timeout=60)
        assert await published_companies(settings, 6) == before | after


async def test_the_relay_does_not_count_a_publish_to_a_topic_the_broker_lost(
    private_stack: EmbeddedStack,
) -> None:
    # A heal every minute only: this test watches the relay alone in between.
    stack = private_stack
    settings = await desk(stack, check_seconds=60)
    async with serving(create_app, settings) as client:
        await register(client, "First")
        await eventually(lambda: _none_pending(settings))
        registry = client.app[METRICS].registry
        failures = registry.get_sample_value("outbox_publish_failures_total") or 0
        await stack.kill_server("kafka")
        await stack.start_server("kafka")
        await register(client, "Second")  # the broker would ack it to a topic it lacks

        async def relay_refused() -> bool:
            now = registry.get_sample_value("outbox_publish_failures_total") or 0
            return now > failures

        await eventually(relay_refused, timeout=30)
        assert await pending(settings) == 1  # one row: the company's event and its key's


async def _none_pending(settings: ServiceSettings) -> bool:
    return await pending(settings) == 0


async def test_a_key_issued_while_the_broker_is_down_works_once_it_is_back(
    private_stack: EmbeddedStack,
) -> None:
    """The key ledger is relayed by a running service (companies), not by the next CLI
    command, and the service's identity consumer reads the healed broker's new logs."""
    stack = private_stack
    settings = await desk(stack, check_seconds=0.3)
    async with serving(create_app, settings) as client:
        await stack.kill_server("kafka")
        issued, published = await create_key(settings, "operator", "night shift")
        assert published.pending == 1  # the CLI could not publish it
        await stack.start_server("kafka")
        operator = Caller(client, issued.plaintext)

        async def works() -> bool:
            return (await operator.get("/companies")).status == 200

        await eventually(works, timeout=60)


async def test_a_stream_the_broker_created_anew_with_more_partitions_is_read_in_full(
    private_stack: EmbeddedStack,
) -> None:
    """Found by ``jamp chaos`` (broker killed): a client's metadata request can make a
    broker create a lost topic by itself, with its own partition count (Tansu: 4, Kafka:
    ``num.partitions``), before any healer creates it with the desk's 3. After the heal a
    consumer group reads every partition, the extra one too."""
    settings = await desk(private_stack, check_seconds=1)
    topics = Topics(settings.topic_prefix)
    async with serving(create_app, settings) as client:  # companies: reads identity
        first, _ = await create_key(settings, "operator", "before")

        async def works(plaintext: str) -> bool:
            return (await Caller(client, plaintext).get("/companies")).status == 200

        await eventually(lambda: works(first.plaintext), timeout=30)  # the group is reading
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
        await admin.start()
        try:  # as a broker that lost the stream and the desk's incarnation marker
            await admin.delete_topics([topics.of("identity"), incarnation_topic(topics)])
        finally:
            await admin.close()
        producer = create_producer(settings, "test-producer")
        await producer.start()
        try:
            partitions = await producer.partitions_for(topics.of("identity"))  # created so
            assert len(partitions) > 3
            plaintext, envelope = key_issued(settings)
            await producer.send_and_wait(
                topics.of("identity"), envelope.to_bytes(), partition=max(partitions)
            )
        finally:
            await producer.stop()
        await eventually(lambda: works(plaintext), timeout=60)
