"""The streams overview: offsets, rates, groups and lag; read without joining any group."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.monitor.test_event_index import register
from tests.support import Caller, eventually


async def overview(caller: Caller) -> dict[str, Any]:
    response = await caller.get("/api/streams")
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    return body


def group_of(body: dict[str, Any], group: str) -> dict[str, Any] | None:
    return next((g for g in body["groups"] if g["group"] == group), None)


async def test_partitions_show_end_offsets_and_recent_counts(
    client: TestClient[Any, Any], operator: Caller, settings: ServiceSettings
) -> None:
    await register(client)
    topic = Topics(settings.topic_prefix).of("companies")

    async def counted() -> list[dict[str, Any]] | None:
        rows = [p for p in (await overview(operator))["partitions"] if p["topic"] == topic]
        return rows if sum(row["last_minute"] for row in rows) == 1 else None

    rows = await eventually(counted)
    assert sum(row["end_offset"] for row in rows) == 1
    assert sum(row["last_hour"] for row in rows) == 1


async def test_a_service_group_shows_committed_offsets_members_and_state(
    client: TestClient[Any, Any], operator: Caller, settings: ServiceSettings
) -> None:
    await register(client)  # its key event goes to identity, which companies consumes
    group = settings.group_id("companies")

    async def caught_up() -> dict[str, Any] | None:
        found = group_of(await overview(operator), group)
        if found is None or not found["partitions"] or found["lag"]:
            return None
        return found if found["state"] == "Stable" else None

    stats = await eventually(caught_up)
    assert len(stats["members"]) == 1
    assert {p["topic"] for p in stats["partitions"]} == {
        Topics(settings.topic_prefix).of("identity")
    }
    assert sum(p["committed"] for p in stats["partitions"]) == 1


async def test_reading_a_groups_offsets_never_joins_it(
    client: TestClient[Any, Any], operator: Caller, settings: ServiceSettings
) -> None:
    group = settings.group_id("companies")
    await register(client)
    await eventually(lambda: listed(operator, group))
    for _ in range(3):
        await overview(operator)
    members = await eventually(lambda: described_members(settings, group))
    assert members == 1


async def described_members(settings: ServiceSettings, group: str) -> int | None:
    """Members of a stable group by the broker's own account; None while it cannot say
    (the embedded broker's DescribeGroups answer now and then fails to decode)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
    except Exception:
        return None
    finally:
        await admin.close()
    [(_, _, state, _, _, members)] = response.groups
    return len(members) if state == "Stable" else None


async def listed(caller: Caller, group: str) -> bool:
    found = group_of(await overview(caller), group)
    return bool(found and found["members"])


async def test_a_lagging_group_shows_lag_and_the_age_of_its_oldest_unconsumed_record(
    operator: Caller, producer: AIOKafkaProducer, settings: ServiceSettings
) -> None:
    group = await lagging_group(settings, producer, behind=3)

    async def lagging() -> dict[str, Any] | None:
        found = group_of(await overview(operator), group)
        ready = found and found["lag"] == 3 and found["oldest_age_seconds"] is not None
        return found if ready else None

    stats = await eventually(lagging)
    [partition] = [p for p in stats["partitions"] if p["lag"]]
    assert partition["committed"] == 1 and partition["end_offset"] == 4
    assert partition["oldest_unconsumed_at"] is not None


async def lagging_group(settings: ServiceSettings, producer: AIOKafkaProducer, behind: int) -> str:
    """A group that consumed one record of four on partition 0 and then went away."""
    topic = Topics(settings.topic_prefix).of("proposals")
    for n in range(behind + 1):
        await producer.send_and_wait(topic, value=b'{"n": %d}' % n, partition=0)
    group = settings.group_id("laggard")
    await commit(settings, group, 1)
    return group


async def commit(settings: ServiceSettings, group: str, offset: int) -> None:
    """Commit for the group by manual assignment (no membership, as a tool would)."""
    await commit_all(settings, group, {0: offset})


async def test_lag_counts_records_written_in_one_batch_which_a_broker_may_under_report(
    operator: Caller, settings: ServiceSettings
) -> None:
    # Four records in one produce batch: the embedded broker then reports the partition's
    # end as 1 (the batch's start + 1), and a lag computed from that alone says 0.
    topic = Topics(settings.topic_prefix).of("proposals")
    batching = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, linger_ms=500)
    await batching.start()
    try:
        sent = [await batching.send(topic, b'{"n": %d}' % n, partition=0) for n in range(4)]
        await asyncio.gather(*sent)
    finally:
        await batching.stop()
    group = settings.group_id("batch-laggard")
    await commit(settings, group, 1)

    async def lagging() -> dict[str, Any] | None:
        found = group_of(await overview(operator), group)
        return found if found and found["lag"] == 3 else None

    stats = await eventually(lagging)
    [partition] = [p for p in stats["partitions"] if p["lag"]]
    assert partition["committed"] == 1 and partition["end_offset"] == 4


async def test_every_lagging_place_shows_the_time_of_its_own_first_unconsumed_record(
    operator: Caller, producer: AIOKafkaProducer, settings: ServiceSettings
) -> None:
    """Every partition of a group read in one look, and two groups at two places of one
    partition each shown the record at their own place."""
    topic = Topics(settings.topic_prefix).of("proposals")
    written = int((datetime.now(UTC) - timedelta(minutes=5)).timestamp()) * 1000

    def time_of(partition: int, offset: int) -> datetime:
        return datetime.fromtimestamp((written + partition * 10_000 + offset * 1000) / 1000, UTC)

    for partition in range(3):
        for offset in range(4):
            at = int(time_of(partition, offset).timestamp() * 1000)
            await producer.send_and_wait(topic, b"{}", partition=partition, timestamp_ms=at)
    everywhere, further = settings.group_id("everywhere"), settings.group_id("further")
    await commit_all(settings, everywhere, {partition: 1 for partition in range(3)})
    await commit_all(settings, further, {0: 2})

    async def both_lagging() -> dict[str, dict[int, datetime]] | None:
        body = await overview(operator)
        found = {group: group_of(body, group) for group in (everywhere, further)}
        oldest = {
            group: {
                p["partition"]: datetime.fromisoformat(p["oldest_unconsumed_at"])
                for p in stats["partitions"]
                if p["topic"] == topic and p["oldest_unconsumed_at"] is not None
            }
            for group, stats in found.items()
            if stats is not None
        }
        complete = len(oldest.get(everywhere, {})) == 3 and len(oldest.get(further, {})) == 1
        return oldest if complete else None

    oldest = await eventually(both_lagging)
    assert oldest[everywhere] == {partition: time_of(partition, 1) for partition in range(3)}
    assert oldest[further] == {0: time_of(0, 2)}


async def commit_all(settings: ServiceSettings, group: str, offsets: dict[int, int]) -> None:
    """Commit for the group on partitions of the proposals stream by manual assignment."""
    topic = Topics(settings.topic_prefix).of("proposals")
    places = {TopicPartition(topic, partition): offset for partition, offset in offsets.items()}
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(places))
        await consumer.commit(places)
    finally:
        await consumer.stop()
