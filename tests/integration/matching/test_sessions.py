"""Business-matching sessions: accepted matches scheduled without double booking, shown in
local time, outcomes recorded by each side, and the report they feed."""

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from services.matching.sessions.model import fiscal_year
from tests.integration.matching.conftest import (
    Publisher,
    accepted_pair,
    add_city,
    company,
    register,
)
from tests.support import Caller, eventually, granted

DAY = (datetime.now(UTC) + timedelta(days=30)).date()
SLOTS = [
    {"start": f"{DAY}T01:00:00Z", "end": f"{DAY}T01:30:00Z"},
    {"start": f"{DAY}T01:30:00Z", "end": f"{DAY}T02:00:00Z"},
]


def soon(seconds: float, minutes: int = 30) -> dict[str, str]:
    """A slot that starts a few seconds from now: created in the future, started soon."""
    start = datetime.now(UTC) + timedelta(seconds=seconds)
    return {"start": start.isoformat(), "end": (start + timedelta(minutes=minutes)).isoformat()}


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
        assert first["company_local"]["start"] == f"{DAY}T10:00:00+09:00"
        assert first["city_local"]["start"] == f"{DAY}T08:00:00+07:00"
        assert scheduled["cycle"] == fiscal_year(datetime.fromisoformat(SLOTS[0]["start"]))

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
        slots = [soon(5, minutes=30), soon(1900, minutes=30)]
        body = {"name": "High-level meeting", "slots": slots, "tables": ["A"]}
        session_id = (await (await admin.post("/sessions", body)).json())["session_id"]
        meetings = (await (await admin.post(f"/sessions/{session_id}/schedule")).json())["meetings"]
        meeting = meetings[0]
        path = f"/meetings/{meeting['meeting_id']}/outcome"
        own = sides[meeting["company_id"]]
        later = f"/meetings/{meetings[1]['meeting_id']}/outcome"
        not_started = await sides["city"].post(later, {"rating": 3, "next_step": "none"})
        assert not_started.status == 409

        async def recorded() -> bool:
            return (await own.post(path, {"rating": 5, "next_step": "mou"})).status == 200

        await eventually(recorded)  # once the first meeting has started
        assert (
            await sides["city"].post(path, {"rating": 4, "next_step": "fs_proposal"})
        ).status == 200
        assert (await own.post(path, {"rating": 1, "next_step": "none"})).status == 409
        stranger = await granted(matching, "company:stranger")
        assert (await stranger.post(path, {"rating": 1, "next_step": "none"})).status == 403

        report = await (await admin.get(f"/sessions/{session_id}/report")).json()
        assert report["meetings"] == 2 and report["outcomes_recorded"] == 2
        assert report["meetings_with_outcome"] == 1  # one meeting, both sides answered
        assert report["average_rating"] == 4.5
        assert report["next_steps"] == {"mou": 1, "fs_proposal": 1}
        assert report["meetings_with_mou"] == [meeting["meeting_id"]]
        [answered] = [a for a in report["answers"] if a["meeting_id"] == meeting["meeting_id"]]
        assert answered["company"]["next_step"] == "mou"
        assert answered["city"]["next_step"] == "fs_proposal"

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


class TestSessionsCannotDoubleBook:
    async def test_a_city_is_never_placed_at_overlapping_times_across_sessions(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        found, _ = await accepted_pair(matching, admin, publish)
        first = {"name": "Morning", "slots": SLOTS[:1], "tables": ["A"]}
        overlapping = {
            "name": "Parallel",
            "slots": [{"start": f"{DAY}T01:15:00Z", "end": f"{DAY}T01:45:00Z"}],
            "tables": ["Z"],
        }
        one = (await (await admin.post("/sessions", first)).json())["session_id"]
        two = (await (await admin.post("/sessions", overlapping)).json())["session_id"]
        placed = (await (await admin.post(f"/sessions/{one}/schedule")).json())["meetings"]
        again = (await (await admin.post(f"/sessions/{two}/schedule")).json())["meetings"]
        assert len(placed) == 1 and again == []  # the city meets at 01:00-01:30 already
        assert len(found) == 2

    async def test_an_invalid_session_is_refused_naming_the_field(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        await add_city(publish)
        known = company()
        await register(publish, known)
        past = {"start": "2020-01-01T01:00:00Z", "end": "2020-01-01T01:30:00Z"}
        overlapping = [SLOTS[0], {"start": f"{DAY}T01:10:00Z", "end": f"{DAY}T01:40:00Z"}]
        cases: list[tuple[dict[str, Any], str]] = [
            ({"slots": overlapping}, "body.slots"),
            ({"slots": [past]}, "body.slots.0.start"),
            ({"tables": ["A", "A"]}, "body.tables"),
            ({"tables": ["A", "http://rooms.example.org/1"]}, "body.tables"),
            ({"availability": {"company:nobody": [0]}}, "body.availability.company:nobody"),
            ({"availability": {"$where": [0]}}, "body.availability.$where"),
            ({"min_meetings": {f"company:{known.company_id}": -1}}, "body.min_meetings"),
            ({"availability": {f"company:{known.company_id}": [0, 0]}}, "body.availability"),
            ({"name": "Day 1\r\nSUMMARY:injected"}, "body.name"),
            ({"name": "\u200b\u200b\u200b"}, "body.name"),
            ({"tables": ["A\r\nLOCATION:elsewhere"]}, "body.tables.0"),
            ({"tables": ["\u200b"]}, "body.tables.0"),
            # One room, spelled twice: a scheme and a host ignore case.
            ({"tables": ["https://meet.example.org/r1", "HTTPS://Meet.Example.org/r1"]},
             "body.tables"),
        ]  # fmt: skip
        for change, field in cases:
            body = {"name": "Checked", "slots": SLOTS, "tables": ["A"], **change}
            answer = await admin.post("/sessions", body)
            assert answer.status == 422, change
            fields = [error["field"] for error in (await answer.json())["errors"]]
            assert any(f.startswith(field) for f in fields), (change, fields)
