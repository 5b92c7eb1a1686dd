"""``jamp monitor tail|lag|dlq`` against a running monitor's JSON API."""

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient
from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner, Result

from jamp import app
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.monitor.records import broken_key_event, dead_letter, key_issued
from tests.integration.monitor.test_dead_letters import letters_of, one_letter
from tests.integration.monitor.test_event_index import events_of, register
from tests.integration.monitor.test_streams import listed
from tests.support import Caller, eventually


async def jamp(monitor: TestClient[Any, Any], operator: Caller, *args: str) -> Result:
    """Run the command in a thread: it runs its own event loop, as from a terminal."""
    env = {
        "JAMP_MONITOR_URL": str(monitor.make_url("")),
        "JAMP_API_KEY": operator.key or "",
        "COLUMNS": "300",  # wide enough that no id is cut short
    }
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, app, ["monitor", *args], env=env)
    assert result.exit_code == 0, result.output
    return result


async def test_tail_prints_the_newest_events(
    client: TestClient[Any, Any], monitor: TestClient[Any, Any], operator: Caller
) -> None:
    company_id = await register(client)
    await eventually(lambda: events_of(operator, subject=company_id))
    result = await jamp(monitor, operator, "tail", "--type", "jamp.company.registered.v1")
    assert "jamp.company.registered.v1" in result.output and company_id in result.output


async def test_lag_prints_each_group_with_its_partitions(
    client: TestClient[Any, Any],
    monitor: TestClient[Any, Any],
    operator: Caller,
    settings: ServiceSettings,
) -> None:
    await register(client)
    group = settings.group_id("companies")
    await eventually(lambda: listed(operator, group))
    result = await jamp(monitor, operator, "lag")
    assert group in result.output and "groups listed by broker" in result.output


async def test_dlq_lists_dry_runs_and_replays(
    monitor: TestClient[Any, Any],
    operator: Caller,
    producer: AIOKafkaProducer,
    settings: ServiceSettings,
) -> None:
    identity = Topics(settings.topic_prefix).of("identity")
    await dead_letter(producer, identity, broken_key_event(), "g", ValueError("bad"))
    letter_id = (await one_letter(operator))["id"]
    await dead_letter(producer, identity, key_issued(settings)[1], "g", ValueError("flaky"))
    [sound_id] = await eventually(lambda: _ids_but(operator, letter_id))

    listed = await jamp(monitor, operator, "dlq")
    checked = await jamp(monitor, operator, "dlq", "--dry-run", letter_id)
    refused = await jamp(monitor, operator, "dlq", "--replay", letter_id)
    replayed = await jamp(monitor, operator, "dlq", "--replay", sound_id)
    assert "ValueError: bad" in listed.output and "pending" in listed.output
    assert "invalid: data.key_hash: Field required" in checked.output
    assert "may not be replayed: data.key_hash: Field required" in refused.output
    assert f"{sound_id}: replayed" in replayed.output


async def _ids_but(operator: Caller, known: str) -> list[str] | None:
    others = [letter["id"] for letter in await letters_of(operator) if letter["id"] != known]
    return others or None
