"""Fast takeover: a consumer SIGKILLed mid-transaction does not stall its successor."""

import asyncio
import sys

from shared.contracts.companies import CompanyVerified
from shared.envelope import Envelope
from shared.kafka import create_producer
from shared.mongo import create_client
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.resilience.killed_consumer import counters, counting, runner
from tests.integration.test_cli_keys import environment
from tests.support import eventually


async def doomed_consumer(settings: ServiceSettings) -> asyncio.subprocess.Process:
    """A member of the group that dies inside its first transaction."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.integration.resilience.killed_consumer",
        env={
            **environment(settings),
            "JAMP_GROUP_PREFIX": settings.group_prefix,
            "JAMP_KAFKA_SESSION_TIMEOUT_MS": str(settings.kafka_session_timeout_ms),
        },
    )


async def test_a_killed_consumers_open_transaction_is_ended_by_its_successor(
    settings: ServiceSettings,
) -> None:
    producer = create_producer(settings, "test")
    await producer.start()
    event = Envelope.wrap(
        CompanyVerified(company_id="c1", version=2, by="admin"), source="test", subject="c1"
    )
    await producer.send_and_wait(
        Topics(settings.topic_prefix).of("companies"), event.to_bytes(), key=b"c1"
    )
    await producer.stop()
    killed = await doomed_consumer(settings)
    assert await asyncio.wait_for(killed.wait(), 60) == -9  # died inside the transaction

    mongo = create_client(settings.mongodb_uri)
    successor = runner(settings, mongo, counting(settings, mongo, die=False))
    task = asyncio.create_task(successor.run())
    try:

        async def counted() -> bool:
            found = await counters(mongo, settings).find_one({"_id": "c1"})
            return found is not None and found["n"] == 1

        # The server would keep the dead transaction (and its write locks) for 60 s.
        await eventually(counted, timeout=12)
    finally:
        successor.stop()
        await asyncio.wait_for(task, 15)
        await mongo.close()


async def test_a_live_member_taking_over_a_killed_ones_partitions_is_not_stalled(
    settings: ServiceSettings,
) -> None:
    mongo = create_client(settings.mongodb_uri)
    survivor = runner(settings, mongo, counting(settings, mongo, die=False))
    task = asyncio.create_task(survivor.run())
    producer = create_producer(settings, "test")
    await producer.start()
    sent: list[str] = []

    async def send() -> None:
        company = f"c{len(sent)}"
        event = Envelope.wrap(
            CompanyVerified(company_id=company, version=2, by="admin"),
            source="test",
            subject=company,
        )
        topic = Topics(settings.topic_prefix).of("companies")
        await producer.send_and_wait(topic, event.to_bytes(), key=company.encode())
        sent.append(company)

    async def counted(company: str) -> bool:
        found = await counters(mongo, settings).find_one({"_id": company})
        return found is not None and found["n"] == 1

    try:
        await send()
        await eventually(lambda: counted("c0"))  # the survivor has claimed its session
        killed = await doomed_consumer(settings)

        async def died() -> bool:
            if killed.returncode is None:
                await send()  # until one lands on a partition the newcomer was given
                await asyncio.sleep(0.3)
            return killed.returncode is not None

        await eventually(died, timeout=60)
        assert killed.returncode == -9

        async def all_counted() -> bool:
            return all([await counted(company) for company in sent])

        # The dead member's open transaction would block the survivor for 60 s.
        await eventually(all_counted, timeout=15)
    finally:
        await producer.stop()
        survivor.stop()
        await asyncio.wait_for(task, 15)
        await mongo.close()
