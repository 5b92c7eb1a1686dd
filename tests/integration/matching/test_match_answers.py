"""Each side answers for itself; both accepted reveals contacts; who may read what."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.matching import handlers
from services.matching.keys import CLOCK, MATCHES
from shared.platform import PLATFORM, Trace
from shared.settings import ServiceSettings
from tests.integration.matching.conftest import Publisher, proposed
from tests.integration.matching.test_match_events import match_events
from tests.support import Caller, granted, person


class TestMutualAcceptance:
    async def test_contacts_are_revealed_only_after_both_sides_accept(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        settings: ServiceSettings,
    ) -> None:
        match, own, city = await proposed(matching, admin, publish)
        path = f"/matches/{match['match_id']}"

        first = await (await own.post(f"{path}/accept")).json()
        assert first["status"] == "accepted_by_company" and first["city_contact"] is None
        assert (await (await city.get(path)).json())["company_contact"] is None
        both = await (await city.post(f"{path}/accept")).json()

        assert both["status"] == "accepted"
        assert both["company_contact"]["email"] == "sato@example.co.jp"
        seen_by_company = await (await own.get(path)).json()
        assert seen_by_company["city_contact"]["email"] == "a@danang.gov.vn"
        types = [e.type for e in await match_events(settings, 5)]
        assert types == [
            "jamp.match.proposed.v1",
            "jamp.match.offered.v1",
            "jamp.match.responded.v1",
            "jamp.match.responded.v1",
            "jamp.match.accepted.v1",
        ]

    async def test_a_decline_needs_a_reason_and_closes_the_match(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        match, own, city = await proposed(matching, admin, publish)
        path = f"/matches/{match['match_id']}"
        assert (await city.post(f"{path}/decline", {})).status == 422
        declined = await city.post(f"{path}/decline", {"reason": "not this year"})
        assert (await declined.json())["status"] == "declined"
        assert (await own.post(f"{path}/accept")).status == 409

    async def test_a_side_answers_only_once(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        match, own, _ = await proposed(matching, admin, publish)
        path = f"/matches/{match['match_id']}/accept"
        assert (await own.post(path)).status == 200
        assert (await own.post(path)).status == 409

    async def test_an_unanswered_request_expires(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        match, own, _ = await proposed(matching, admin, publish)
        await own.post(f"/matches/{match['match_id']}/accept")
        app = matching.app
        later = datetime.now(UTC) + timedelta(days=15)
        trace = Trace(None, None, "test")
        count = await handlers.expire_requests(
            later, platform=app[PLATFORM], matches=app[MATCHES], clock=app[CLOCK], trace=trace
        )
        assert count == 1
        assert (await (await own.get(f"/matches/{match['match_id']}")).json())[
            "status"
        ] == "expired"


class TestRoleMatrix:
    @pytest.mark.parametrize(
        ("grant", "status"),
        [
            ("admin", 200),
            ("operator", 200),
            ("desk:VN", 200),
            ("desk:TH", 404),  # as for a proposal that does not exist
            ("city:da-nang", 200),
            ("city:hanoi", 404),
            ("company:someone", 403),  # no company reads any proposal's list
        ],
    )
    async def test_who_reads_a_proposals_matches(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        grant: str,
        status: int,
    ) -> None:
        match, _, _ = await proposed(matching, admin, publish)
        caller = await granted(matching, grant)
        response = await caller.get(f"/proposals/{match['proposal_id']}/matches")
        assert response.status == status

    @pytest.mark.parametrize(
        ("grant", "status"),
        [
            ("own", 200),
            ("company:other", 403),
            ("admin", 200),
            ("operator", 200),
            ("desk:VN", 403),
            ("city:da-nang", 403),
        ],
    )
    async def test_who_reads_a_companys_matches(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        grant: str,
        status: int,
    ) -> None:
        match, own, _ = await proposed(matching, admin, publish)
        caller = own if grant == "own" else await granted(matching, grant)
        response = await caller.get(f"/companies/{match['company_id']}/matches")
        assert response.status == status

    @pytest.mark.parametrize(
        ("grant", "status"),
        [
            ("admin", 403),
            ("operator", 403),
            ("desk:VN", 403),
            # Those who may not even see the match are told it does not exist.
            ("company:other", 404),
            ("city:hanoi", 404),
        ],
    )
    async def test_only_the_two_sides_answer(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        grant: str,
        status: int,
    ) -> None:
        match, _, _ = await proposed(matching, admin, publish)
        caller = await granted(matching, grant)
        assert (await caller.post(f"/matches/{match['match_id']}/accept")).status == status

    @pytest.mark.parametrize(
        ("grant", "status"),
        [
            ("company:other", 404),
            ("city:hanoi", 404),
            ("desk:TH", 404),
            ("desk:VN", 200),
            ("operator", 200),
        ],
    )
    async def test_a_match_the_caller_may_not_see_is_a_404_like_a_missing_one(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        grant: str,
        status: int,
    ) -> None:
        match, _, _ = await proposed(matching, admin, publish)
        caller = await granted(matching, grant)
        seen = await caller.get(f"/matches/{match['match_id']}")
        missing = await caller.get("/matches/no-such-match")
        assert seen.status == status and missing.status == 404
        if status == 404:
            assert (await seen.json())["title"] == (await missing.json())["title"]

    async def test_match_ids_say_nothing_about_the_pair(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        match, _, _ = await proposed(matching, admin, publish)
        assert match["proposal_id"] not in match["match_id"]
        assert match["company_id"] not in match["match_id"]
        assert len(match["match_id"]) >= 24

    async def test_an_unknown_companys_matches_are_a_404(self, admin: Caller) -> None:
        response = await admin.get("/companies/no-such-company/matches")
        assert response.status == 404

    async def test_no_key_no_matches(self, matching: TestClient[Any, Any]) -> None:
        assert (await Caller(matching, None).get("/proposals/x/matches")).status == 401


async def test_a_match_answer_records_the_person_beside_the_grant(
    matching: TestClient[Any, Any], admin: Caller, publish: Publisher
) -> None:
    match, _, _ = await proposed(matching, admin, publish)
    tanaka = await person(matching, "Tanaka Ken", f"company:{match['company_id']}")
    answered = await (await tanaka.caller.post(f"/matches/{match['match_id']}/accept")).json()
    company = answered["responses"]["company"]
    assert company["by"] == f"company:{match['company_id']}"
    assert company["by_person"]["person_id"] == tanaka.person_id
    assert company["by_person"]["name"] == "Tanaka Ken"


async def test_who_answered_for_the_other_side_is_named_only_after_both_accepted(
    matching: TestClient[Any, Any], admin: Caller, publish: Publisher
) -> None:
    match, _, city = await proposed(matching, admin, publish)
    tanaka = await person(matching, "Tanaka Ken", f"company:{match['company_id']}")
    path = f"/matches/{match['match_id']}"
    assert (await tanaka.caller.post(f"{path}/accept", {"message": "Glad to talk"})).status == 200

    before = (await (await city.get(path)).json())["responses"]["company"]
    assert (before["accepted"], before["message"], before["by_person"]) == (
        True,
        "Glad to talk",
        None,
    )
    assert (await (await admin.get(path)).json())["responses"]["company"]["by_person"] is not None

    await city.post(f"{path}/accept")
    after = (await (await city.get(path)).json())["responses"]["company"]
    assert after["by_person"]["name"] == "Tanaka Ken"
