"""Kafka plumbing: producers, group consumers, topic creation, reachability. Nothing
broker-specific."""

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeAlias, TypeVar

from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, UnknownTopicOrPartitionError
from aiokafka.protocol.metadata import MetadataRequest

from shared.settings import ServiceSettings

MAX_REQUEST_BYTES = 1_048_576
"""The largest request a producer sends (aiokafka's default, named so that a caller that
fills record batches itself refuses a record no request could carry, as ``send`` does)."""


def create_producer(
    settings: ServiceSettings, client_id: str, *, linger_ms: int = 5
) -> AIOKafkaProducer:
    """acks=all always; idempotence where the broker supports it (a setting, off for Tansu).
    The linger lets records sent one by one, close together, share a request."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_idempotence,
        request_timeout_ms=10_000,
        linger_ms=linger_ms,
        max_request_size=MAX_REQUEST_BYTES,
    )


def create_batch_producer(settings: ServiceSettings, client_id: str) -> AIOKafkaProducer:
    """A producer for a caller that hands over a whole batch and then awaits it (the outbox
    relay): nothing more will join, so a linger would only hold back the last, partly
    filled request of each partition, once per batch."""
    return create_producer(settings, client_id, linger_ms=0)


def create_group_consumer(
    settings: ServiceSettings, group_id: str, **options: Any
) -> AIOKafkaConsumer:
    """A member of ``group_id`` that commits by hand, starts from the earliest record of a
    new group, heartbeats five times per session timeout and waits at most
    ``kafka_fetch_max_wait_ms`` per fetch; ``options`` add to that."""
    return AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group_id,
        client_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_session_timeout_ms // 5,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        **options,
    )


ProducerFactory = Callable[[], AIOKafkaProducer]
KafkaClient = TypeVar("KafkaClient", AIOKafkaAdminClient, AIOKafkaConsumer, AIOKafkaProducer)
Closable: TypeAlias = AIOKafkaClient | AIOKafkaAdminClient | AIOKafkaConsumer | AIOKafkaProducer
_CLOSING: set[asyncio.Task[None]] = set()  # starts given up on, to be closed once over


async def started(client: KafkaClient) -> KafkaClient:
    """The client, started. One whose start fails is closed, not left with its connections
    and background tasks behind.

    One whose start is cancelled (a timeout, a shutdown) finishes starting on its own and is
    closed then: aiokafka cancelled while it opens a connection loses track of it, so
    closing the client at once cannot reach it and it is reported later as "Unclosed
    AIOKafkaConnection" (measured: one or two of 39 starts cancelled 1 to 39 ms in)."""
    starting = asyncio.ensure_future(client.start())
    try:
        await asyncio.shield(starting)
    except BaseException:
        await asyncio.shield(_closed_once_over(starting, client))
        raise
    return client


async def _closed_once_over(starting: asyncio.Future[None], client: Closable) -> None:
    """Close the client now if ``starting`` is over, else as soon as it is (see ``started``)."""
    if starting.done():
        await close(client)
        return
    closing = asyncio.ensure_future(_close_when_over(starting, client))
    _CLOSING.add(closing)
    closing.add_done_callback(_CLOSING.discard)


async def wait_closed(timeout: float) -> None:
    """Until every client whose start was given up on is closed, or ``timeout`` seconds
    (a start goes on for at most its request timeout)."""
    if _CLOSING:
        await asyncio.wait(set(_CLOSING), timeout=timeout)


async def _close_when_over(starting: asyncio.Future[None], client: Closable) -> None:
    await asyncio.gather(starting, return_exceptions=True)
    await close(client)


async def close(client: Closable) -> None:
    """Close any kind of client: admin clients close, consumers and producers stop."""
    if isinstance(client, AIOKafkaAdminClient | AIOKafkaClient):
        await client.close()
    else:
        await client.stop()


class PublishGuard(Protocol):
    """What a relay asks before and after publishing (see ``shared.healing``)."""

    @property
    def epoch(self) -> int:
        """Changes when a heal starts: rows sent across it are not counted as sent."""

    async def topics_exist(self, producer: AIOKafkaProducer, topics: set[str]) -> bool:
        """Whether the broker really has every one of ``topics``."""


class LazyProducer:
    """A producer started on first use and dropped after a failure, so that its owner
    starts (and reports the outage) while Kafka is down and reconnects afresh later."""

    def __init__(self, factory: ProducerFactory) -> None:
        self.factory = factory
        self.producer: AIOKafkaProducer | None = None

    async def get(self) -> AIOKafkaProducer:
        """The started producer; raises what ``start()`` raises when Kafka is unreachable."""
        if self.producer is None:
            self.producer = await started(self.factory())
        return self.producer

    async def close(self) -> None:
        """Stop it; the next ``get()`` starts a fresh one."""
        if self.producer is not None:
            producer, self.producer = self.producer, None
            await producer.stop()


async def ensure_topics(
    bootstrap_servers: str, topics: list[str], *, partitions: int = 3, replication: int = 1
) -> list[str]:
    """Create the topics that do not exist yet; returns the ones created."""
    admin = await started(
        AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="jamp-admin")
    )
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in topics if name not in existing]
        if missing:
            await admin.create_topics([NewTopic(name, partitions, replication) for name in missing])
        return missing
    finally:
        await admin.close()


async def missing_topics(client: AIOKafkaClient, topics: Iterable[str]) -> set[str]:
    """Which of ``topics`` the broker does not have, asked about these alone (a request
    for every topic costs in proportion to the whole cluster, which may be shared) and
    without letting the question create them: a broker that creates topics on request
    would otherwise make a lost one again, with its own partition count, before any
    healer could notice it was lost."""
    names = sorted(set(topics))
    node = client.get_random_node()
    if node is None:
        raise KafkaConnectionError("no broker known to ask about topics")
    answer = await client.send(node, MetadataRequest(names, allow_auto_topic_creation=False))
    unknown = UnknownTopicOrPartitionError.errno
    known = {name for error, name, *_ in answer.topics if error != unknown}
    return set(names) - known


async def kafka_reachable(bootstrap_servers: str, timeout: float = 3.0) -> bool:
    """True when a broker answers a metadata request within the timeout."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=3000)
    bootstrapping = asyncio.ensure_future(client.bootstrap())
    try:
        async with asyncio.timeout(timeout):  # the probe's answer; the bootstrap goes on
            await asyncio.shield(bootstrapping)
        return True
    except Exception:  # any failure to bootstrap means "not reachable" for a probe
        return False
    finally:
        await asyncio.shield(_closed_once_over(bootstrapping, client))
