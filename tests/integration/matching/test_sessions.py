"""Business-matching sessions: accepted matches scheduled without double booking, shown in
local time, outcomes recorded by each side, and the report they feed."""

from typing import Any

from aiohttp.test_utils import TestClient

from tests.integration.matching.conftest import (
    Publisher,
    add_city,
    company,
    proposal,
    register,
    submit,
)
from tests.integration.matching.test_match_events import exactly
from tests.support import Caller, eventually, granted

SLOTS = [
    {"start": "2025-10-08T01:00:00Z", "end": "2025-10-08T01:30:00Z"},
    {"start": "2025-10-08T01:30:00Z", "end": "2025-10-08T02:00:00Z"},
]


async def accepted_pair(
    matching: TestClient[Any, Any], admin: Caller, publish: Publisher
) -> tuple[list[Any], dict[str, Caller]]:
    """Two companies matched to one proposal, each match accepted by both sides."""
    await add_city(publish)
    first = company(tags=["water_supply", "flood_control"])
    second, need = company(name_en="Second Water"), proposal(status="accepted")
    await register(publish, first)
    await register(publish, second)
    await submit(publish, need)
    found = await eventually(lambda: exactly(admin, need.proposal_id, 2))
    city = await granted(matching, f"city:{need.city_id}")
    sides = {"city": city}
    for match in found:
        own = await granted(matching, f"company:{match['company_id']}")
        sides[match["company_id"]] = own
        await own.post(f"/matches/{match['match_id']}/accept")
        await city.post(f"/matches/{match['match_id']}/accept")
    return found, sides


class TestScheduling:
    async def test_one_city_meets_two_companies_in_two_slots_at_local_times(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        found, _ = await accepted_pair(matching, admin, publish)
        body = {"name": "High-level meeting", "slots": SLOTS, "tables": ["A", "B"]}
        created = await admin.post("/sessions", body)
        assert created.status == 201
        session_id = (await created.json())["session_id"]

        scheduled = await (await admin.post(f"/sessions/{session_id}/schedule")).json()

        meetings = scheduled["meetings"]
        assert {m["match_id"] for m in meetings} == {m["match_id"] for m in found}
        assert len({m["slot"]["start"] for m in meetings}) == 2  # the city is never double-booked
        first = meetings[0]
        assert first["company_local"]["start"] == "2025-10-08T10:00:00+09:00"
        assert first["city_local"]["start"] == "2025-10-08T08:00:00+07:00"
        assert scheduled["cycle"] == "FY2025"

    async def test_with_one_slot_the_better_match_gets_it(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        found, _ = await accepted_pair(matching, admin, publish)
        body = {"name": "Short session", "slots": SLOTS[:1], "tables": ["A", "B"]}
        session_id = (await (await admin.post("/sessions", body)).json())["session_id"]
        scheduled = await (await admin.post(f"/sessions/{session_id}/schedule")).json()
        best = max(found, key=lambda match: match["score"])
        assert [m["match_id"] for m in scheduled["meetings"]] == [best["match_id"]]

    async def test_impossible_minimums_are_a_conflict(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        found, _ = await accepted_pair(matching, admin, publish)
        body = {
            "name": "Too strict",
            "slots": SLOTS[:1],
            "tables": ["A"],
            "min_meetings": {f"company:{m['company_id']}": 1 for m in found},
        }
        session_id = (await (await admin.post("/sessions", body)).json())["session_id"]
        assert (await admin.post(f"/sessions/{session_id}/schedule")).status == 409


class TestOutcomes:
    async def test_outcomes_feed_the_session_report(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        _, sides = await accepted_pair(matching, admin, publish)
        body = {"name": "High-level meeting", "slots": SLOTS, "tables": ["A"]}
        session_id = (await (await admin.post("/sessions", body)).json())["session_id"]
        meetings = (await (await admin.post(f"/sessions/{session_id}/schedule")).json())["meetings"]
        meeting = meetings[0]
        path = f"/meetings/{meeting['meeting_id']}/outcome"
        own = sides[meeting["company_id"]]

        assert (await own.post(path, {"rating": 5, "next_step": "mou"})).status == 200
        assert (
            await sides["city"].post(path, {"rating": 4, "next_step": "fs_proposal"})
        ).status == 200
        assert (await own.post(path, {"rating": 1, "next_step": "none"})).status == 409
        stranger = await granted(matching, "company:stranger")
        assert (await stranger.post(path, {"rating": 1, "next_step": "none"})).status == 403

        report = await (await admin.get(f"/sessions/{session_id}/report")).json()
        assert report["meetings"] == 2 and report["outcomes_recorded"] == 2
        assert report["average_rating"] == 4.5
        assert report["next_steps"] == {"mou": 1, "fs_proposal": 1}
        assert report["meetings_with_mou"] == [meeting["meeting_id"]]

    async def test_only_admins_open_sessions(self, matching: TestClient[Any, Any]) -> None:
        operator = await granted(matching, "operator")
        body = {"name": "Not mine", "slots": SLOTS, "tables": ["A"]}
        assert (await operator.post("/sessions", body)).status == 403


class TestCallerMaps:
    async def test_field_names_of_operators_or_paths_are_refused_by_name(
        self, admin: Caller
    ) -> None:
        body = {
            "name": "Refused maps",
            "slots": SLOTS,
            "tables": ["A"],
            "availability": {"$where": [0], "company:ok": [0]},
            "min_meetings": {"company:a.b": 1},
            "max_meetings": {"city:x": 2},
        }
        response = await admin.post("/sessions", body)
        assert response.status == 422
        fields = {error["field"] for error in (await response.json())["errors"]}
        assert fields == {"body.availability.$where", "body.min_meetings.company:a.b"}

    async def test_the_documents_say_which_field_names_a_map_takes(self, admin: Caller) -> None:
        document = await (await admin.get("/openapi.json")).json()
        availability = document["components"]["schemas"]["CreateSession"]["properties"][
            "availability"
        ]
        assert availability["propertyNames"]["pattern"] == r"^[^$.\x00][^.\x00]*$"
