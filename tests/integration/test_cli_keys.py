"""``jamp keys``: keys issued by the CLI reach the services through the identity stream."""

import asyncio
import re
from typing import Any

from aiohttp.test_utils import TestClient
from typer.testing import CliRunner

from jamp import app as jamp
from jamp import keys
from services.proposals.app import create_app as create_proposals
from shared.auth.keys import LEDGER
from shared.http.appkeys import KEYS
from shared.settings import ServiceSettings
from tests.integration.test_companies_api import register
from tests.support import Caller, eventually, serving


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


async def refused(settings: ServiceSettings, grant: str) -> str:
    result = await asyncio.to_thread(
        CliRunner().invoke, jamp, ["keys", "create", grant], env=environment(settings)
    )
    assert result.exit_code != 0, result.output
    return str(result.output)


class TestCityAndCompanyKeysNameWhatExists:
    async def test_a_key_for_an_unknown_city_or_company_is_refused(
        self, settings: ServiceSettings
    ) -> None:
        assert "no city 'atlantis' is known" in await refused(settings, "city:atlantis")
        assert "no company 'c-nobody' is known" in await refused(settings, "company:c-nobody")

    async def test_a_key_for_an_ascn_city_is_issued(self, settings: ServiceSettings) -> None:
        async with serving(create_proposals, settings):  # it loads the ASCN cities at start
            output = await jamp_cli(settings, "keys", "create", "city:da-nang")
        assert "api key" in output

    async def test_a_key_for_a_registered_company_is_issued_at_once(
        self, anonymous: Caller, settings: ServiceSettings
    ) -> None:
        company_id = (await register(anonymous))["company"]["company_id"]
        output = await jamp_cli(settings, "keys", "create", f"company:{company_id}")
        assert "api key" in output


async def _is(value: Any, expected: object) -> bool:
    return bool(await value == expected)


async def test_people_add_registers_the_person_and_their_key_travels_with_them(
    client: TestClient[Any, Any], settings: ServiceSettings
) -> None:
    output = await jamp_cli(
        settings, "people", "add", "Consul Sato", "--email", "sato@example.org",
        "--grant", "desk:VN", "--time-zone", "Asia/Ho_Chi_Minh",
    )  # fmt: skip
    person_id = re.search(r"^person\s+(p-\w+)", output, re.MULTILINE)
    key = re.search(r"^grant\s+desk:VN\nkey id\s+\w+\napi key (\S+)$", output, re.MULTILINE)
    assert person_id and key, output
    consul = Caller(client, key.group(1))

    async def status() -> int:
        return (await consul.get("/companies")).status

    await eventually(lambda: _is(status(), 200))
    principal = await client.app[KEYS].authenticate(key.group(1))
    assert principal is not None
    assert (principal.person_id, principal.display_name) == (person_id.group(1), "Consul Sato")
    people = await jamp_cli(settings, "people", "list")
    assert person_id.group(1) in people and "sato@example.org" in people


async def test_people_update_changes_the_details_every_replica_follows(
    client: TestClient[Any, Any], settings: ServiceSettings
) -> None:
    output = await jamp_cli(
        settings, "people", "add", "Consul Ito", "--email", "ito@example.org", "--grant", "desk:VN"
    )
    found = re.search(r"^person\s+(p-\w+)", output, re.MULTILINE)
    assert found, output
    person_id, replica = found.group(1), client.app[KEYS]

    async def known(field: str) -> object:
        return ((await replica.person(person_id)) or {}).get(field)

    await eventually(lambda: _is(known("email"), "ito@example.org"))
    arguments = ["people", "update", person_id, "--service", "companies"]
    changed = await jamp_cli(settings, *arguments, "--email", "ito@hanoi.example.org",
                             "--language", "ja")  # fmt: skip
    assert f"person  {person_id}  changed: email, language" in changed
    await eventually(lambda: _is(known("email"), "ito@hanoi.example.org"))
    assert await known("language") == "ja"
    again = await jamp_cli(settings, *arguments, "--email", "ito@hanoi.example.org")
    assert f"person  {person_id}  unchanged" in again
    for refused in ([], ["--language", "japanese"]):
        result = await asyncio.to_thread(
            CliRunner().invoke, jamp, arguments + refused, env=environment(settings)
        )
        assert result.exit_code == 2, result.output
    unknown = ["people", "update", "p-nobody", "--service", "companies", "--name", "X"]
    result = await asyncio.to_thread(CliRunner().invoke, jamp, unknown, env=environment(settings))
    assert result.exit_code == 2 and "no person p-nobody" in result.output


async def test_a_person_needs_an_email_and_a_valid_grant(settings: ServiceSettings) -> None:
    for arguments in (
        ["people", "add", "Nobody", "--grant", "desk:VN"],
        ["people", "add", "Nobody", "--email", "n@example.org", "--grant", "desk:FR"],
    ):
        result = await asyncio.to_thread(
            CliRunner().invoke, jamp, arguments, env=environment(settings)
        )
        assert result.exit_code != 0


async def test_keys_issued_at_once_are_all_recorded(settings: ServiceSettings) -> None:
    # Two writers of the ledger at once (scripts, benchmarks) may conflict: each runs again.
    issued = await asyncio.gather(
        *(keys.create_key(settings, "desk:VN", f"script {n}") for n in range(4))
    )
    ids = {key.event.key_id for key, _ in issued}
    assert len(ids) == 4
    listed = await keys.list_keys(settings, LEDGER)
    assert ids <= {document["_id"] for document in listed}


async def test_revoking_a_key_nobody_issued_or_one_already_revoked_is_refused(
    client: TestClient[Any, Any], settings: ServiceSettings
) -> None:
    """A mistyped id must not report success while the real key keeps working."""
    unknown = await asyncio.to_thread(
        CliRunner().invoke, jamp, ["keys", "revoke", "deadbeefdeadbeef"], env=environment(settings)
    )
    assert unknown.exit_code == 2 and "no key 'deadbeefdeadbeef' is known" in unknown.output
    output = await jamp_cli(settings, "keys", "create", "operator", "--label", "x")
    key_id = dict(re.findall(r"^(key id)\s+(\S+)$", output, re.MULTILINE))["key id"]
    await jamp_cli(settings, "keys", "revoke", key_id, "--reason", "left the team")
    again = await asyncio.to_thread(
        CliRunner().invoke, jamp, ["keys", "revoke", key_id], env=environment(settings)
    )
    assert again.exit_code == 2 and "revoked already" in again.output


async def test_a_replica_of_no_service_is_refused_not_listed_empty(
    settings: ServiceSettings,
) -> None:
    for command in (["keys", "list"], ["people", "list"]):
        result = await asyncio.to_thread(
            CliRunner().invoke, jamp, [*command, "--service", "nosuch"], env=environment(settings)
        )
        assert result.exit_code == 2 and "is no service" in result.output, command
