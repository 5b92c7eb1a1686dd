"""The faults of ``jamp chaos``: each is injected once, halfway through a round's load."""

import signal
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaProducer

from shared.chaos.desk import Desk
from shared.topics import Topics

POISON = 3
"""Records a poison round injects; they and only they must end in a dead-letter topic."""

Fault = Callable[[Desk], Awaitable[int]]
"""Injects the fault; returns how many poison records it injected."""


def restarted(replica: str, signum: signal.Signals) -> Fault:
    """The service process gets ``signum``, then is started again on its port."""

    async def fault(desk: Desk) -> int:
        process = desk.services[replica]
        if signum == signal.SIGKILL:
            await process.kill()
        else:
            await process.stop()  # SIGTERM, then waits for it to exit
        await desk.restart(replica)
        return 0

    return fault


async def one_replica_killed(desk: Desk) -> int:
    """One of two matching replicas dies for good: the other takes its partitions."""
    await desk.services["matching-b"].kill()
    return 0


def server_killed(name: str) -> Fault:
    """SIGKILL of the database or the broker, started again on its port (the memory-only
    broker comes back empty)."""

    async def fault(desk: Desk) -> int:
        await desk.stack.kill_server(name)  # type: ignore[arg-type]
        await desk.stack.start_server(name)
        return 0

    return fault


async def poison(desk: Desk) -> int:
    """Records no consumer can accept: broken JSON, and a type of the stream's family that
    no contract defines."""
    topic = Topics(desk.settings.topic_prefix).of("companies")
    producer = AIOKafkaProducer(bootstrap_servers=desk.stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{not json", key=b"poison-1")
        await producer.send_and_wait(topic, b'"an envelope it is not"', key=b"poison-2")
        unknown = (
            b'{"specversion":"1.0","id":"poison-3","source":"chaos","type":'
            b'"jamp.company.teleported.v1","subject":"poison-3","correlationid":"c",'
            b'"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",'
            b'"time":"2026-01-01T00:00:00Z","data":{}}'
        )
        await producer.send_and_wait(topic, unknown, key=b"poison-3")
    finally:
        await producer.stop()
    return POISON


FAULTS: dict[str, Fault] = {
    "sigkill companies": restarted("companies", signal.SIGKILL),
    "sigterm companies": restarted("companies", signal.SIGTERM),
    "sigkill matching": restarted("matching-a", signal.SIGKILL),
    "sigterm matching": restarted("matching-a", signal.SIGTERM),
    "one of two consumers killed": one_replica_killed,
    "broker killed": server_killed("kafka"),
    "database killed": server_killed("mongodb"),
    "poison events": poison,
}
