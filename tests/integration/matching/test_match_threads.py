"""A word with the answer, and a short thread once both sides accepted: who reads, who
writes, when it opens, and the events it leaves."""

from typing import Any

from aiohttp.test_utils import TestClient

from shared.settings import ServiceSettings
from tests.integration.matching.conftest import Publisher, company, proposed, register
from tests.integration.matching.test_match_events import match_events
from tests.support import Caller, granted, person


async def mutual(
    matching: TestClient[Any, Any], admin: Caller, publish: Publisher
) -> tuple[dict[str, Any], str, Caller, Caller]:
    """A match both sides accepted: the match, its messages path, the company and the city."""
    match, own, city = await proposed(matching, admin, publish)
    path = f"/matches/{match['match_id']}"
    assert (await own.post(f"{path}/accept")).status == 200
    assert (await city.post(f"{path}/accept")).status == 200
    return match, f"{path}/messages", own, city


class TestAWordWithTheAnswer:
    async def test_an_acceptance_carries_a_message_the_other_side_sees_and_the_event_names(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        settings: ServiceSettings,
    ) -> None:
        match, own, city = await proposed(matching, admin, publish)
        path = f"/matches/{match['match_id']}"

        word = "  We would be glad to meet in Tokyo.  "
        assert (await own.post(f"{path}/accept", {"message": word})).status == 200

        seen = await (await city.get(path)).json()
        assert seen["responses"]["company"]["message"] == word.strip()
        [_, _, responded] = await match_events(settings, 3)  # proposed, offered, responded
        assert responded.type == "jamp.match.responded.v1"
        assert responded.data["message"] == word.strip()

    async def test_a_decline_carries_its_reason_and_a_message(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        match, own, city = await proposed(matching, admin, publish)
        path = f"/matches/{match['match_id']}"
        body = {"reason": "not this year", "message": "Please try again in FY2027."}

        assert (await city.post(f"{path}/decline", body)).status == 200

        seen = await (await own.get(path)).json()
        assert seen["responses"]["city"]["reason"] == "not this year"
        assert seen["responses"]["city"]["message"] == "Please try again in FY2027."

    async def test_a_message_too_long_or_blank_is_a_422_naming_it_and_answers_nothing(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        match, own, _ = await proposed(matching, admin, publish)
        path = f"/matches/{match['match_id']}"

        for message in ("x" * 1001, "   "):
            answer = await own.post(f"{path}/accept", {"message": message})
            assert answer.status == 422
            assert (await answer.json())["errors"][0]["field"] == "body.message"
        assert (await (await own.get(path)).json())["status"] == "proposed"


class TestTheThread:
    async def test_both_sides_write_and_read_oldest_first_a_page_at_a_time(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        _, path, own, city = await mutual(matching, admin, publish)

        for caller, body in ((own, "Hello from Kaiyo"), (city, "Welcome"), (admin, "Desk here")):
            answer = await caller.post(path, {"body": body})
            assert answer.status == 201, await answer.text()

        first = await (await city.get(path, limit=2)).json()
        assert [m["body"] for m in first["items"]] == ["Hello from Kaiyo", "Welcome"]
        assert [m["side"] for m in first["items"]] == ["company", "city"]
        rest = await (await own.get(path, limit=2, cursor=first["next_cursor"])).json()
        assert [m["side"] for m in rest["items"]] == ["staff"] and rest["next_cursor"] is None

    async def test_a_message_records_the_person_and_grant_and_is_an_event(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        settings: ServiceSettings,
    ) -> None:
        match, path, _, _ = await mutual(matching, admin, publish)
        sato = await person(matching, "Sato Hanako", f"company:{match['company_id']}")

        posted = await (await sato.caller.post(path, {"body": "Shall we?"})).json()

        assert posted["by"] == f"company:{match['company_id']}"
        assert posted["by_person"]["person_id"] == sato.person_id
        events = await match_events(settings, 6)  # proposed, offered, 2 responded, accepted, posted
        [event] = [e for e in events if e.type == "jamp.match.message_posted.v1"]
        assert event.subject == match["match_id"]
        assert event.data["message_id"] == posted["message_id"]
        assert (event.data["side"], event.data["body"]) == ("company", "Shall we?")
        assert event.data["city_id"] == match["city_id"]
        assert event.data["by_person"]["name"] == "Sato Hanako"

    async def test_before_both_sides_accepted_there_is_no_thread(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        match, own, _ = await proposed(matching, admin, publish)
        path = f"/matches/{match['match_id']}"
        await own.post(f"{path}/accept")

        for caller in (own, admin):
            written = await caller.post(f"{path}/messages", {"body": "Hello?"})
            assert written.status == 409
            assert (await written.json())["match_status"] == "accepted_by_company"
            assert (await caller.get(f"{path}/messages")).status == 409

    async def test_a_third_party_gets_404_and_the_desk_403(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        _, path, _, _ = await mutual(matching, admin, publish)
        other = company(name_en="Other Water")
        await register(publish, other)
        stranger = await granted(matching, f"company:{other.company_id}")
        other_city = await granted(matching, "city:hanoi")
        desk = await granted(matching, "desk:VN")

        for caller in (stranger, other_city):
            assert (await caller.get(path)).status == 404
            assert (await caller.post(path, {"body": "Let me in"})).status == 404
        assert (await desk.get(path)).status == 403
        assert (await desk.post(path, {"body": "Desk of VN"})).status == 403
        assert (await (await admin.get(path)).json())["items"] == []

    async def test_an_empty_or_oversized_message_is_a_422_naming_the_body(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        _, path, own, _ = await mutual(matching, admin, publish)
        for body in ("  ", "x" * 2001):
            answer = await own.post(path, {"body": body})
            assert answer.status == 422
            assert (await answer.json())["errors"][0]["field"] == "body.body"
        assert (await (await own.get(path)).json())["items"] == []
