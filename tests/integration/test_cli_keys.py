"""``jamp keys``: keys issued by the CLI reach the services through the identity stream."""

import asyncio
import re
from typing import Any

from aiohttp.test_utils import TestClient
from typer.testing import CliRunner

from shared.cli import app as jamp
from shared.settings import ServiceSettings
from tests.support import Caller, eventually


def environment(settings: ServiceSettings) -> dict[str, str]:
    return {
        "JAMP_MONGODB_URI": settings.mongodb_uri,
        "JAMP_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "JAMP_TOPIC_PREFIX": settings.topic_prefix,
        "JAMP_DATABASE_PREFIX": settings.database_prefix,
        "JAMP_KEY_PEPPER": settings.pepper(),
    }


async def jamp_cli(settings: ServiceSettings, *arguments: str) -> str:
    result = await asyncio.to_thread(
        CliRunner().invoke, jamp, list(arguments), env=environment(settings)
    )
    assert result.exit_code == 0, result.output
    return result.output


async def test_a_created_key_works_is_listed_and_stops_working_when_revoked(
    client: TestClient[Any, Any], settings: ServiceSettings
) -> None:
    output = await jamp_cli(settings, "keys", "create", "operator", "--label", "night shift")
    fields = dict(re.findall(r"^(key id|api key)\s+(\S+)$", output, re.MULTILINE))
    operator = Caller(client, fields["api key"])

    async def status() -> int:
        return (await operator.get("/companies")).status

    await eventually(lambda: _is(status(), 200))
    listing = await jamp_cli(settings, "keys", "list")
    assert fields["key id"] in listing and "night shift" in listing
    assert fields["api key"] not in listing

    await jamp_cli(settings, "keys", "revoke", fields["key id"], "--reason", "left the team")
    await eventually(lambda: _is(status(), 401))


async def test_a_malformed_grant_is_refused_with_the_reason(settings: ServiceSettings) -> None:
    result = await asyncio.to_thread(
        CliRunner().invoke, jamp, ["keys", "create", "desk:FR"], env=environment(settings)
    )
    assert result.exit_code != 0
    assert "ASEAN country code" in result.output


async def _is(value: Any, expected: int) -> bool:
    return bool(await value == expected)
