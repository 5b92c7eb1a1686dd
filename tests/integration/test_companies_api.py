"""The companies HTTP contract, on the real embedded servers."""

import copy
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from services.companies.model import EXAMPLE_REGISTRATION
from shared.mongo import create_client
from shared.settings import ServiceSettings
from tests.support import Caller, command_log, granted


def registration(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE_REGISTRATION)
    body.pop("corporate_number")
    body.update(changes)
    return body


async def register(anonymous: Caller, **changes: Any) -> dict[str, Any]:
    response = await anonymous.post("/companies", registration(**changes))
    assert response.status == 201, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def stored_companies(settings: ServiceSettings) -> int:
    client = create_client(settings.mongodb_uri)
    try:
        database = client[settings.database_name("companies")]
        return await database["companies"].count_documents({})
    finally:
        await client.close()


class TestRegistration:
    async def test_a_registration_writes_in_two_statements_and_its_commit(
        self, settings: ServiceSettings, anonymous: Caller
    ) -> None:
        # The company opens the transaction (that statement carries its read concern);
        # its key and its events follow in one bulkWrite, all staged by the unit of work.
        log = command_log(settings.database_name("companies"))
        await register(anonymous)
        in_transaction = [
            (event.command_name, event.command.get(event.command_name))
            for event in log.started_events
            if event.command.get("autocommit") is False
        ]
        assert in_transaction == [("insert", "companies"), ("bulkWrite", 1)]

    async def test_a_company_registers_and_receives_its_key_once(self, anonymous: Caller) -> None:
        response = await anonymous.post("/companies", registration())
        assert response.status == 201
        body = await response.json()
        company = body["company"]
        assert body["api_key"].startswith("jamp_")
        assert company["status"] == "registered" and company["version"] == 1
        assert company["contact"]["email"] == "sato@example.co.jp"
        assert response.headers["Location"] == f"/companies/{company['company_id']}"
        assert response.headers["ETag"] == '"1"'

    async def test_the_returned_key_reads_the_own_profile_with_contact(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        registered = await register(anonymous)
        own = Caller(client, registered["api_key"])
        response = await own.get(f"/companies/{registered['company']['company_id']}")
        assert response.status == 200
        assert (await response.json())["contact"]["name"] == "Sato Hanako"

    async def test_the_answer_to_a_write_shows_the_times_every_read_shows(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        # BSON keeps milliseconds: a time taken to the microsecond was answered one way by
        # the registration and another by every read of it.
        registered = await register(anonymous)
        written = registered["company"]
        own = Caller(client, registered["api_key"])
        read = await (await own.get(f"/companies/{written['company_id']}")).json()
        assert (read["registered_at"], read["updated_at"]) == (
            written["registered_at"],
            written["updated_at"],
        )

    async def test_a_valid_corporate_number_is_accepted_and_must_be_unique(
        self, anonymous: Caller, settings: ServiceSettings
    ) -> None:
        await register(anonymous, corporate_number="7000012050002")
        again = await anonymous.post("/companies", registration(corporate_number="7000012050002"))
        assert again.status == 409
        problem = await again.json()
        assert problem["field"] == "body.corporate_number"
        assert again.content_type == "application/problem+json"
        assert await stored_companies(settings) == 1

    async def test_organisations_without_a_corporate_number_may_register_side_by_side(
        self, anonymous: Caller
    ) -> None:
        await register(anonymous)
        await register(anonymous, name_en="Another Org")


class TestBadInput:
    async def assert_rejected(
        self, anonymous: Caller, settings: ServiceSettings, body: Any, field: str
    ) -> None:
        response = await anonymous.post("/companies", body)
        assert response.status == 422, await response.text()
        assert response.content_type == "application/problem+json"
        problem = await response.json()
        assert field in [error["field"] for error in problem["errors"]]
        assert await stored_companies(settings) == 0

    async def test_a_wrong_check_digit_is_named(
        self, anonymous: Caller, settings: ServiceSettings
    ) -> None:
        body = registration(corporate_number="8000012050002")
        await self.assert_rejected(anonymous, settings, body, "body.corporate_number")

    async def test_an_unknown_tag_is_named(
        self, anonymous: Caller, settings: ServiceSettings
    ) -> None:
        body = registration(tags=["water_supply", "teleportation"])
        await self.assert_rejected(anonymous, settings, body, "body.tags.1")

    async def test_an_unknown_focus_area_is_named(
        self, anonymous: Caller, settings: ServiceSettings
    ) -> None:
        await self.assert_rejected(
            anonymous, settings, registration(focus_areas=["space"]), "body.focus_areas.0"
        )

    async def test_a_country_outside_asean_and_japan_is_named(
        self, anonymous: Caller, settings: ServiceSettings
    ) -> None:
        body = registration(countries=["VN", "US"])
        await self.assert_rejected(anonymous, settings, body, "body.countries.1")

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("name_en", "Kaiyo\nBcc: eve@example.org"),
            ("name_ja", "海洋\r水道"),
            ("name_en", "A\tB"),
            ("name_en", "Kaiyo\u2028Water"),  # a line separator
            ("name_en", "Kaiyo \u202eretaW"),  # a right-to-left override
        ],
    )
    async def test_a_name_of_more_than_one_line_is_named(
        self, anonymous: Caller, settings: ServiceSettings, field: str, value: str
    ) -> None:
        await self.assert_rejected(
            anonymous, settings, registration(**{field: value}), f"body.{field}"
        )

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("name_en", "\u200b"),  # a zero-width space
            ("name_en", "\u200d\ufeff\u2060"),  # a joiner, a BOM and a word joiner
            ("name_ja", "\u3164\u3000"),  # a Hangul filler and an ideographic space
        ],
    )
    async def test_a_name_with_nothing_to_see_is_named(
        self, anonymous: Caller, settings: ServiceSettings, field: str, value: str
    ) -> None:
        await self.assert_rejected(
            anonymous, settings, registration(**{field: value}), f"body.{field}"
        )

    async def test_a_name_with_a_joiner_between_letters_is_kept(self, anonymous: Caller) -> None:
        name = "\u0915\u094d\u200d\u0937 Water"  # a Devanagari conjunct held by a joiner
        response = await anonymous.post("/companies", registration(name_en=name))
        assert response.status == 201, await response.text()
        assert (await response.json())["company"]["name_en"] == name

    async def test_an_unknown_field_is_named(
        self, anonymous: Caller, settings: ServiceSettings
    ) -> None:
        await self.assert_rejected(
            anonymous, settings, registration(shoe_size=42), "body.shoe_size"
        )

    async def test_a_missing_contact_is_named(
        self, anonymous: Caller, settings: ServiceSettings
    ) -> None:
        body = registration()
        del body["contact"]
        await self.assert_rejected(anonymous, settings, body, "body.contact")

    async def test_malformed_json_is_a_400(self, client: TestClient[Any, Any]) -> None:
        response = await client.post(
            "/companies", data=b"{nope", headers={"Content-Type": "application/json"}
        )
        assert response.status == 400
        assert (await response.json())["title"] == "Bad request"

    @pytest.mark.parametrize("encoding", ["gzip", "deflate"])
    async def test_a_body_that_is_not_the_encoding_it_claims_is_a_400_and_stores_nothing(
        self, client: TestClient[Any, Any], settings: ServiceSettings, encoding: str
    ) -> None:
        response = await client.post(
            "/companies",
            data=orjson.dumps(registration()),
            headers={"Content-Type": "application/json", "Content-Encoding": encoding},
        )
        assert response.status == 400
        assert response.content_type == "application/problem+json"
        assert "could not be read" in (await response.json())["detail"]
        assert await stored_companies(settings) == 0

    async def test_a_body_that_is_not_json_is_a_415(self, client: TestClient[Any, Any]) -> None:
        response = await client.post("/companies", data=b"name=x")
        assert response.status == 415

    async def test_an_oversized_body_is_a_413_and_stores_nothing(
        self, anonymous: Caller, settings: ServiceSettings
    ) -> None:
        body = registration(capability_statement="x" * (settings.max_body_bytes + 1))
        response = await anonymous.post("/companies", body)
        assert response.status == 413
        assert response.content_type == "application/problem+json"
        assert await stored_companies(settings) == 0

    async def test_an_unknown_company_is_a_404_problem(self, client: TestClient[Any, Any]) -> None:
        admin = await granted(client, "admin")
        response = await admin.get("/companies/6b0000000000000000000000")
        assert response.status == 404
        assert (await response.json())["status"] == 404

    async def test_an_unknown_route_is_a_404_problem(self, anonymous: Caller) -> None:
        response = await anonymous.get("/nowhere")
        assert response.status == 404
        assert response.content_type == "application/problem+json"
