"""Reading, updating, verifying and suspending companies; search and pagination."""

import asyncio
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from shared.contracts.identity import ApiKeyRelabelled
from shared.http.appkeys import KEYS
from shared.mongo import transaction
from shared.platform import PLATFORM
from tests.integration.test_companies_api import register
from tests.support import Caller, granted, outbox_events, person


class TestReading:
    async def test_a_desk_reads_a_company_without_its_contact(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        company_id = (await register(anonymous))["company"]["company_id"]
        desk = await granted(client, "desk:VN")
        response = await desk.get(f"/companies/{company_id}")
        assert response.status == 200
        body = await response.json()
        assert body["contact"] is None and body["name_en"] == "Kaiyo Water Engineering"

    async def test_operators_and_admins_see_the_contact(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        company_id = (await register(anonymous))["company"]["company_id"]
        for grant in ("operator", "admin"):
            staff = await granted(client, grant)
            body = await (await staff.get(f"/companies/{company_id}")).json()
            assert body["contact"]["email"] == "sato@example.co.jp", grant


class TestUpdating:
    async def test_the_company_updates_its_profile_with_if_match(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        registered = await register(anonymous)
        own = Caller(client, registered["api_key"])
        path = f"/companies/{registered['company']['company_id']}"
        response = await own.patch(
            path, {"tags": ["water_supply", "wastewater"]}, {"If-Match": '"1"'}
        )
        assert response.status == 200, await response.text()
        body = await response.json()
        assert body["tags"] == ["water_supply", "wastewater"] and body["version"] == 2
        assert response.headers["ETag"] == '"2"'

    async def test_a_stale_version_is_a_409_and_changes_nothing(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        registered = await register(anonymous)
        own = Caller(client, registered["api_key"])
        path = f"/companies/{registered['company']['company_id']}"
        assert (await own.patch(path, {"size": "large"}, {"If-Match": '"1"'})).status == 200
        stale = await own.patch(path, {"size": "small"}, {"If-Match": '"1"'})
        assert stale.status == 409
        assert (await stale.json())["current_version"] == 2
        assert (await (await own.get(path)).json())["size"] == "large"

    async def test_the_version_may_come_in_the_body_instead(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        registered = await register(anonymous)
        own = Caller(client, registered["api_key"])
        path = f"/companies/{registered['company']['company_id']}"
        assert (await own.patch(path, {"size": "large", "version": 1})).status == 200

    async def test_a_body_version_and_if_match_that_disagree_are_refused(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        registered = await register(anonymous)
        own = Caller(client, registered["api_key"])
        path = f"/companies/{registered['company']['company_id']}"
        assert (await own.patch(path, {"size": "large"}, {"If-Match": '"1"'})).status == 200
        # The body says what the client read (2); the header is an older ETag it kept.
        # Neither may silently win: the header's would be a 409, the body's an overwrite.
        confused = await own.patch(path, {"size": "small", "version": 2}, {"If-Match": '"1"'})
        assert confused.status == 422
        assert (await confused.json())["errors"][0]["field"] == "body.version"
        # Under If-Match: * a body version still holds.
        stale = await own.patch(path, {"size": "small", "version": 1}, {"If-Match": "*"})
        assert stale.status == 409
        agreeing = await own.patch(path, {"size": "small", "version": 2}, {"If-Match": '"2"'})
        assert agreeing.status == 200
        assert (await agreeing.json())["size"] == "small"

    async def test_an_update_without_a_precondition_is_a_428(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        registered = await register(anonymous)
        own = Caller(client, registered["api_key"])
        response = await own.patch(
            f"/companies/{registered['company']['company_id']}", {"size": "large"}
        )
        assert response.status == 428

    async def test_two_concurrent_updates_of_one_version_let_exactly_one_win(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        registered = await register(anonymous)
        own = Caller(client, registered["api_key"])
        path = f"/companies/{registered['company']['company_id']}"
        first, second = await asyncio.gather(
            own.patch(path, {"size": "large"}, {"If-Match": '"1"'}),
            own.patch(path, {"size": "micro"}, {"If-Match": '"1"'}),
        )
        assert sorted([first.status, second.status]) == [200, 409]
        assert (await (await own.get(path)).json())["version"] == 2

    async def test_an_invalid_update_is_a_422_naming_the_field(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        registered = await register(anonymous)
        own = Caller(client, registered["api_key"])
        path = f"/companies/{registered['company']['company_id']}"
        response = await own.patch(path, {"languages": ["klingon"]}, {"If-Match": '"1"'})
        assert response.status == 422
        assert (await response.json())["errors"][0]["field"] == "body.languages.0"


class TestVerification:
    async def test_an_admin_verifies_then_suspends_then_reinstates(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        company_id = (await register(anonymous))["company"]["company_id"]
        admin = await granted(client, "admin")
        verified = await admin.post(f"/companies/{company_id}/verify")
        assert (await verified.json())["status"] == "verified"
        suspended = await admin.post(f"/companies/{company_id}/suspend", {"reason": "audit"})
        assert (await suspended.json())["status"] == "suspended"
        reinstated = await admin.post(f"/companies/{company_id}/verify")
        assert (await reinstated.json())["status"] == "verified"

    async def test_the_company_names_who_made_its_last_change(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        registered = await register(anonymous)
        company_id = registered["company"]["company_id"]
        assert registered["company"]["updated_by"]["grant"] == "anonymous"
        own = Caller(client, registered["api_key"])
        changed = await own.patch(
            f"/companies/{company_id}", {"tags": ["water_supply"]}, {"If-Match": '"1"'}
        )
        assert changed.status == 200, await changed.text()
        assert (await changed.json())["updated_by"]["grant"] == f"company:{company_id}"
        kato = await person(client, "Director Kato", "admin")
        await kato.caller.post(f"/companies/{company_id}/suspend", {"reason": "audit"})
        read = await (await kato.caller.get(f"/companies/{company_id}")).json()
        assert read["updated_by"] == {
            "grant": "admin", "person_id": kato.person_id, "name": "Director Kato",
            "key_id": kato.caller.key_id,
        }  # fmt: skip

    async def test_a_suspended_company_cannot_change_its_profile_until_reinstated(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        registered = await register(anonymous)
        company_id = registered["company"]["company_id"]
        path = f"/companies/{company_id}"
        own, admin = Caller(client, registered["api_key"]), await granted(client, "admin")
        await admin.post(f"{path}/suspend", {"reason": "audit"})

        refused = await own.patch(path, {"tags": ["water_supply"]}, {"If-Match": '"2"'})
        assert refused.status == 403
        assert refused.content_type == "application/problem+json"
        assert "suspended" in (await refused.json())["detail"]
        read = await (await own.get(path)).json()
        assert read["version"] == 2 and read["tags"] != ["water_supply"]  # nothing written

        # The desk may still correct it; reinstated, the company edits again.
        corrected = await admin.patch(path, {"tags": ["water_supply"]}, {"If-Match": '"2"'})
        assert corrected.status == 200, await corrected.text()
        await admin.post(f"{path}/verify")
        again = await own.patch(path, {"tags": ["wastewater"]}, {"If-Match": '"4"'})
        assert again.status == 200, await again.text()

    async def test_a_renamed_company_acts_under_its_new_name_everywhere(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        """Its own key is shown by its label ("company <name>") in every service: a match's
        answer to a city named the company as it was called at registration."""
        registered = await register(anonymous)
        company_id, own = registered["company"]["company_id"], Caller(client, registered["api_key"])
        path = f"/companies/{company_id}"
        renamed = await own.patch(path, {"name_en": "Kaiyo Holdings"}, {"If-Match": '"1"'})
        # The rename itself was made under the name the key had then.
        assert (await renamed.json())["updated_by"]["name"] == "company Kaiyo Water Engineering"
        outbox = client.app[PLATFORM].outbox.collection
        [relabelled] = await outbox_events(outbox, "jamp.apikey.relabelled.v1")
        assert relabelled.data["label"] == "company Kaiyo Holdings"
        assert relabelled.subject == registered["api_key"].split("_")[1]  # the key's id
        older = ApiKeyRelabelled(
            key_id=relabelled.subject, label="company Kaiyo Water Engineering",
            relabelled_at=datetime(2020, 1, 1, tzinfo=UTC),
        )  # fmt: skip
        async with transaction(client.app[PLATFORM].mongo) as session:
            await client.app[KEYS].record_relabelled(older, session)  # a replay of the window
        again = await own.patch(path, {"tags": ["water_supply"]}, {"If-Match": '"2"'})
        assert (await again.json())["updated_by"]["name"] == "company Kaiyo Holdings"

    async def test_verifying_twice_is_a_409_naming_the_current_status(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        company_id = (await register(anonymous))["company"]["company_id"]
        admin = await granted(client, "admin")
        await admin.post(f"/companies/{company_id}/verify")
        again = await admin.post(f"/companies/{company_id}/verify")
        assert again.status == 409
        assert (await again.json())["current_status"] == "verified"

    async def test_a_suspension_needs_a_reason(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        company_id = (await register(anonymous))["company"]["company_id"]
        admin = await granted(client, "admin")
        response = await admin.post(f"/companies/{company_id}/suspend", {})
        assert response.status == 422
        assert (await response.json())["errors"][0]["field"] == "body.reason"
        for blank in ("      ", "\u200b\u200b\u200b"):  # trimmed, or nothing to see
            response = await admin.post(f"/companies/{company_id}/suspend", {"reason": blank})
            assert response.status == 422, blank
            assert (await response.json())["errors"][0]["field"] == "body.reason"


class TestSearch:
    async def test_filters_combine(self, anonymous: Caller, client: TestClient[Any, Any]) -> None:
        await register(anonymous, name_en="Flood Works", tags=["flood_control"], countries=["PH"])
        await register(anonymous, name_en="Water Works", tags=["water_supply"], countries=["VN"])
        desk = await granted(client, "desk:PH")
        response = await desk.get("/companies", tag="flood_control", country="PH")
        names = [item["name_en"] for item in (await response.json())["items"]]
        assert names == ["Flood Works"]

    async def test_the_text_query_matches_words_and_japanese(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        await register(anonymous, name_en="Alpha", name_ja="防災システム株式会社")
        await register(
            anonymous, name_en="Beta", capability_statement="Smart grid and battery storage design."
        )
        desk = await granted(client, "desk:VN")
        by_word = await (await desk.get("/companies", q="Battery")).json()
        assert [item["name_en"] for item in by_word["items"]] == ["Beta"]
        by_kanji = await (await desk.get("/companies", q="防災")).json()
        assert [item["name_en"] for item in by_kanji["items"]] == ["Alpha"]

    async def test_pages_cover_everything_once_even_with_concurrent_inserts(
        self, anonymous: Caller, client: TestClient[Any, Any]
    ) -> None:
        for index in range(5):
            await register(anonymous, name_en=f"Company {index}")
        operator = await granted(client, "operator")
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = await (await operator.get("/companies", **params)).json()
            seen += [item["name_en"] for item in page["items"]]
            await register(anonymous, name_en=f"Late {len(seen)}")  # newer: never on later pages
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [f"Company {index}" for index in reversed(range(5))]

    async def test_a_tampered_cursor_and_an_unknown_filter_are_named(
        self, client: TestClient[Any, Any]
    ) -> None:
        operator = await granted(client, "operator")
        bad_cursor = await operator.get("/companies", cursor="garbage!")
        assert (await bad_cursor.json())["errors"][0]["field"] == "query.cursor"
        unknown = await operator.get("/companies", colour="red")
        assert (await unknown.json())["errors"][0]["field"] == "query.colour"
        bad_tag = await operator.get("/companies", tag="teleportation")
        assert bad_tag.status == 422


class TestRateLimit:
    async def test_self_registration_is_rate_limited_per_address(self, anonymous: Caller) -> None:
        statuses = [
            (await anonymous.post("/companies", {"name_en": "x"})).status for _ in range(12)
        ]
        assert statuses[:10] == [422] * 10  # the default burst is 10
        assert statuses[10:] == [429, 429]
        limited = await anonymous.post("/companies", {})
        assert int(limited.headers["Retry-After"]) >= 1
