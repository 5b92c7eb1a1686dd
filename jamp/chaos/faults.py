"""The faults of ``jamp chaos``: each is injected once, halfway through a round's load."""

import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from jamp.chaos.desk import Desk
from jamp.dev import SERVICES
from shared.kafka import started
from shared.topics import Topics

POISON_CONSUMERS = ("inquiries", "matching", "notifications")
"""The services whose consumer groups read the companies stream: each must dead-letter
every poison record (and nothing else)."""


@dataclass(frozen=True)
class Fault:
    inject: Callable[[Desk, str], Awaitable[list[str]]]
    """Breaks something of the desk (the round's id makes poison keys unique); returns the
    keys of the poison records it sent."""
    replicas: bool = False
    """A second matching replica joins the consumer group before the load."""


def restarted(service: str, signum: signal.Signals) -> Fault:
    """The service process gets ``signum``, then is started again on its port. SIGTERM is
    ``jamp dev``'s own stop: the service drains, and is killed only after the grace."""

    async def inject(desk: Desk, _round: str) -> list[str]:
        process = desk.services[service]
        if signum == signal.SIGKILL:
            await process.kill()
        else:
            await process.stop()  # SIGTERM, then waits for it to exit
        await desk.restart(service)
        return []

    return Fault(inject)


async def _one_replica_killed(desk: Desk, _round: str) -> list[str]:
    """One of two matching replicas dies for good: the other takes its partitions."""
    await desk.services["matching"].kill()
    return []


def server_killed(name: str) -> Fault:
    """SIGKILL of the database or the broker, started again on its port as ``jamp dev``'s
    supervisor does (the memory-only broker comes back empty)."""

    async def inject(desk: Desk, _round: str) -> list[str]:
        await desk.stack.kill_server(name)  # type: ignore[arg-type]
        await desk.stack.start_server(name)
        return []

    return Fault(inject)


async def _poison(desk: Desk, round_id: str) -> list[str]:
    """Records no consumer can accept: broken JSON, no envelope, and a type of the stream's
    family that no contract defines."""
    topic = Topics(desk.settings.topic_prefix).of("companies")
    keys = [f"poison-{round_id}-{n}" for n in range(3)]
    unknown = (
        b'{"specversion":"1.0","id":"poison-%s","source":"chaos","type":'
        b'"jamp.company.teleported.v1","subject":"poison","correlationid":"c",'
        b'"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",'
        b'"time":"2026-01-01T00:00:00Z","data":{}}' % round_id.encode()
    )
    values = [b"{not json", b'"an envelope it is not"', unknown]
    producer = await started(
        AIOKafkaProducer(bootstrap_servers=desk.stack.kafka_bootstrap, acks="all")
    )
    try:
        for key, value in zip(keys, values, strict=True):
            await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()
    return keys


FAULTS: dict[str, Fault] = {
    **{f"sigkill {name}": restarted(name, signal.SIGKILL) for name in SERVICES},
    **{f"sigterm {name}": restarted(name, signal.SIGTERM) for name in SERVICES},
    "one of two consumers killed": Fault(_one_replica_killed, replicas=True),
    "broker killed": server_killed("kafka"),
    "database killed": server_killed("mongodb"),
    "poison events": Fault(_poison),
}
