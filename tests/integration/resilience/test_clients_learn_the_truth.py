"""Clients learn the truth: transient transaction errors are retried on the server, and an
``Idempotency-Key`` makes a retried POST answer with the original outcome."""

import asyncio
import itertools
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from services.companies.app import create_app
from shared.embedded import EmbeddedStack
from shared.mongo import create_client
from shared.settings import ServiceSettings
from tests.integration.test_companies_api import registration
from tests.support import Caller, eventually, granted, isolated_settings, person, serving

_serial = itertools.count(1)


def corporate_number() -> str:
    """A valid, unused 13-digit corporate number (National Tax Agency check digit)."""
    body = f"{uuid.uuid4().int % 10**9:09d}{next(_serial) % 1000:03d}"
    total = sum(int(d) * (2 if n % 2 == 0 else 1) for n, d in enumerate(reversed(body), 1))
    return f"{9 - total % 9}{body}"


def unlimited(settings: ServiceSettings) -> ServiceSettings:
    """The public rate limit would answer 429 to a burst from one address."""
    return settings.model_copy(update={"public_rate_per_minute": 1e6, "public_rate_burst": 10**6})


@pytest.fixture
async def burst_client(settings: ServiceSettings) -> AsyncIterator[TestClient[Any, Any]]:
    async with serving(create_app, unlimited(settings)) as client:
        yield client


async def stored(settings: ServiceSettings, collection: str, query: dict[str, Any]) -> int:
    client = create_client(settings.mongodb_uri)
    try:
        return await client[settings.database_name("companies")][collection].count_documents(query)
    finally:
        await client.close()


async def test_concurrent_independent_registrations_all_succeed(
    burst_client: TestClient[Any, Any], settings: ServiceSettings
) -> None:
    # A fresh database: the first writes create collections and index entries at once,
    # which is where the write conflicts of the fault run appeared.
    bodies = [
        registration(name_en=f"Co {n}", corporate_number=corporate_number()) for n in range(40)
    ]
    responses = await asyncio.gather(*(burst_client.post("/companies", json=b) for b in bodies))
    statuses = [response.status for response in responses]
    assert statuses == [201] * len(bodies), [await r.text() for r in responses if r.status != 201]
    assert await stored(settings, "companies", {}) == len(bodies)


async def test_keys_claimed_by_concurrent_registrations_answer_their_retries(
    burst_client: TestClient[Any, Any],
) -> None:
    # Concurrent first writes conflict and are retried on the server: the retried attempt
    # must claim the key again, since the claim of the failed one was rolled back.
    bodies = [
        registration(name_en=f"Co {n}", corporate_number=corporate_number()) for n in range(30)
    ]

    keys = {body["corporate_number"]: str(uuid.uuid4()) for body in bodies}

    async def post(body: dict[str, Any]) -> tuple[int, str, str | None]:
        headers = {"Idempotency-Key": keys[body["corporate_number"]]}
        response = await burst_client.post("/companies", json=body, headers=headers)
        answer = await response.json()
        company = answer.get("company", {}).get("company_id", "")
        return response.status, company, response.headers.get("Idempotent-Replayed")

    first = await asyncio.gather(*(post(body) for body in bodies))
    again = await asyncio.gather(*(post(body) for body in bodies))
    assert [status for status, _, _ in first] == [201] * len(bodies)
    assert [(s, c, "true") for s, c, _ in first] == again


async def test_a_real_conflict_still_answers_409(burst_client: TestClient[Any, Any]) -> None:
    number = corporate_number()
    first = await burst_client.post("/companies", json=registration(corporate_number=number))
    again = await burst_client.post("/companies", json=registration(corporate_number=number))
    assert (first.status, again.status) == (201, 409)


class TestIdempotencyKey:
    async def test_a_retried_registration_returns_the_company_and_a_working_key(
        self, burst_client: TestClient[Any, Any], settings: ServiceSettings
    ) -> None:
        body = registration(corporate_number=corporate_number())
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        first = await burst_client.post("/companies", json=body, headers=headers)
        retry = await burst_client.post("/companies", json=body, headers=headers)
        assert (first.status, retry.status) == (201, 201), await retry.text()
        original, replayed = await first.json(), await retry.json()
        assert replayed["company"] == original["company"]
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.headers["Location"] == first.headers["Location"]
        company_id = original["company"]["company_id"]
        assert await stored(settings, "companies", {}) == 1

        async def reads_own_profile(key: str) -> int:
            auth = {"Authorization": f"Bearer {key}"}
            return (await burst_client.get(f"/companies/{company_id}", headers=auth)).status

        assert await reads_own_profile(replayed["api_key"]) == 200
        assert await reads_own_profile(original["api_key"]) == 401  # replaced, not shared
        assert await stored(settings, "api_keys", {"scope": company_id, "revoked_at": None}) == 1

    async def test_a_retry_replaces_only_the_key_the_registration_minted(
        self, burst_client: TestClient[Any, Any]
    ) -> None:
        """Whoever holds the Idempotency-Key is not thereby the company: its people's keys,
        issued by an admin, stay valid however often the registration is retried."""
        body = registration(corporate_number=corporate_number())
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        first = await (await burst_client.post("/companies", json=body, headers=headers)).json()
        company_id = first["company"]["company_id"]
        employee = await person(burst_client, "Tanaka Ken", f"company:{company_id}")
        answers = [first]
        for _ in range(2):
            retry = await burst_client.post("/companies", json=body, headers=headers)
            answers.append(await retry.json())

        async def reads_own_profile(caller: Caller) -> int:
            return (await caller.get(f"/companies/{company_id}")).status

        assert await reads_own_profile(employee.caller) == 200
        statuses = [await reads_own_profile(Caller(burst_client, a["api_key"])) for a in answers]
        assert statuses == [401, 401, 200]  # each retry replaced the one before it

    async def test_without_an_api_key_a_guessable_key_is_refused(
        self, burst_client: TestClient[Any, Any], settings: ServiceSettings
    ) -> None:
        """Else anyone could replay a registration: a fresh key, the owner's revoked."""
        for guessable in ("signup-1", "7000012050002", "a" * 31):
            headers = {"Idempotency-Key": guessable}
            refused = await burst_client.post("/companies", json=registration(), headers=headers)
            assert refused.status == 422, guessable
            assert (await refused.json())["errors"][0]["field"] == "header.Idempotency-Key"
        assert await stored(settings, "companies", {}) == 0

    async def test_the_same_key_with_another_body_is_refused_naming_the_header(
        self, burst_client: TestClient[Any, Any]
    ) -> None:
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        await burst_client.post("/companies", json=registration(name_en="A"), headers=headers)
        other = await burst_client.post(
            "/companies", json=registration(name_en="B"), headers=headers
        )
        assert other.status == 422
        assert (await other.json())["errors"][0]["field"] == "header.Idempotency-Key"

    async def test_the_same_body_serialised_otherwise_is_a_retry(
        self, burst_client: TestClient[Any, Any]
    ) -> None:
        body = registration(corporate_number=corporate_number())
        headers = {"Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"}
        first = await burst_client.post("/companies", json=body, headers=headers)
        respelled = json.dumps(dict(reversed(body.items())), indent=2)
        retry = await burst_client.post("/companies", data=respelled, headers=headers)
        assert (first.status, retry.status) == (201, 201), await retry.text()
        assert retry.headers["Idempotent-Replayed"] == "true"

    async def test_an_answer_without_secrets_is_stored_and_repeated(
        self, burst_client: TestClient[Any, Any], settings: ServiceSettings
    ) -> None:
        admin = await granted(burst_client, "admin")
        company = await (await burst_client.post("/companies", json=registration())).json()
        path = f"/companies/{company['company']['company_id']}/suspend"
        headers = {"Idempotency-Key": "suspend-1"}
        first = await admin.post(path, {"reason": "audit"}, headers=headers)
        retry = await admin.post(path, {"reason": "audit"}, headers=headers)
        assert (first.status, retry.status) == (200, 200), await retry.text()
        assert await retry.json() == await first.json()
        assert retry.headers["Idempotent-Replayed"] == "true"


async def test_a_database_killed_mid_request_never_turns_a_commit_into_a_conflict(
    tmp_path: Any,
) -> None:
    """SecantusDB is SIGKILLed and restarted twice under concurrent registrations; clients
    retry failures with their Idempotency-Key. Every registration ends 201, each company
    is stored once, and every key handed out last works."""
    stack = EmbeddedStack(tmp_path)
    await stack.start()
    settings = unlimited(isolated_settings(stack.mongodb_uri, stack.kafka_bootstrap))
    outcomes: dict[str, tuple[int, dict[str, Any]]] = {}
    try:
        async with serving(create_app, settings) as client:

            async def register_until_answered(number: str) -> None:
                body = registration(name_en=f"Co {number}", corporate_number=number)
                headers = {"Idempotency-Key": f"{number}-{uuid.uuid4().hex}"}
                async with asyncio.timeout(90):
                    while True:
                        try:
                            response = await client.post("/companies", json=body, headers=headers)
                        except aiohttp.ClientError:
                            await asyncio.sleep(0.1)
                            continue
                        if response.status < 500:
                            outcomes[number] = (response.status, await response.json())
                            return
                        await asyncio.sleep(0.1)

            async def load(count: int) -> None:
                for _ in range(count):
                    await register_until_answered(corporate_number())

            async def faults() -> None:
                for answered in (15, 40):

                    async def reached(count: int = answered) -> bool:
                        return len(outcomes) >= count

                    await eventually(reached, 90)
                    await stack.kill_server("mongodb")
                    await stack.start_server("mongodb")

            await asyncio.gather(*(load(12) for _ in range(6)), faults())
            assert sorted({status for status, _ in outcomes.values()}) == [201]
            for _, answer in outcomes.values():
                company_id = answer["company"]["company_id"]
                auth = {"Authorization": f"Bearer {answer['api_key']}"}
                assert (await client.get(f"/companies/{company_id}", headers=auth)).status == 200
        assert await stored(settings, "companies", {}) == len(outcomes) == 72
    finally:
        await stack.stop()
