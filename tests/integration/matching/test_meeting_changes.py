"""Admins move or cancel one meeting (audited, published, refused with the field when it would
leave the session or double-book someone), and place mutual acceptances that came after the
session was scheduled without moving the meetings already placed; what stays out is listed
with its reason."""

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient
from icalendar import Calendar

from shared.contracts.matching import meeting_uid
from shared.envelope import Envelope
from shared.platform import PLATFORM
from tests.integration.matching.conftest import (
    Publisher,
    accepted_pair,
    add_city,
    company,
    exactly,
    proposal,
    register,
    submit,
)
from tests.integration.matching.test_sessions import DAY
from tests.support import Caller, eventually, granted, outbox_events, person

SLOTS = [
    {"start": f"{DAY}T0{hour}:{minute}:00Z", "end": f"{DAY}T0{end_hour}:{end_minute}:00Z"}
    for hour, minute, end_hour, end_minute in (
        (1, "00", 1, "30"), (1, "30", 2, "00"), (2, "00", 2, "30"),
    )
]  # fmt: skip
ROOM = "https://meet.example.org/jamp-room-9"


async def session_of(admin: Caller, slots: list[dict[str, str]], **extra: Any) -> str:
    body = {"name": "High-level meeting", "slots": slots, "tables": ["A", "B"], **extra}
    created = await admin.post("/sessions", body)
    assert created.status == 201, await created.text()
    session_id: str = (await created.json())["session_id"]
    return session_id


async def scheduled(
    matching: TestClient[Any, Any], admin: Caller, publish: Publisher,
    city_available: list[int] | None = None,
) -> tuple[str, list[dict[str, Any]], dict[str, Caller]]:  # fmt: skip
    """A city of its own meeting two companies in two of three slots (``city_available``:
    the slots the city declared): the session, its meetings earliest first, and callers
    for the city and each company."""
    city_id = f"city-{uuid.uuid4().hex[:8]}"
    _, sides = await accepted_pair(matching, admin, publish, city_id)
    declared = {} if city_available is None else {f"city:{city_id}": city_available}
    session_id = await session_of(admin, SLOTS, availability=declared)
    answer = await admin.post(f"/sessions/{session_id}/schedule")
    assert answer.status == 200, await answer.text()
    meetings = sorted((await answer.json())["meetings"], key=lambda m: m["slot"]["start"])
    assert len(meetings) == 2
    return session_id, meetings, sides


def free_slot(meetings: list[dict[str, Any]]) -> dict[str, str]:
    used = {m["slot"]["start"].replace("+00:00", "Z") for m in meetings}
    [free] = [slot for slot in SLOTS if slot["start"] not in used]
    return free


async def published(matching: TestClient[Any, Any], event_type: str) -> list[Envelope]:
    """What the change left in the outbox, in the same transaction, for the relay to publish."""
    return await outbox_events(matching.app[PLATFORM].outbox.collection, event_type)


async def test_a_session_and_its_placed_meetings_name_the_admin_who_made_them(
    matching: TestClient[Any, Any], publish: Publisher
) -> None:
    mori = await person(matching, "Mori Aiko", "admin")
    session_id, _, _ = await scheduled(matching, mori.caller, publish)
    session = await (await mori.caller.get(f"/sessions/{session_id}")).json()
    by_mori = {
        "grant": "admin", "person_id": mori.person_id, "name": "Mori Aiko",
        "key_id": mori.caller.key_id,
    }  # fmt: skip
    assert (session["created_by"], session["created_by_person"]) == ("admin", by_mori)
    placed = await published(matching, "jamp.meeting.scheduled.v1")
    assert [(e.data["by"], e.data["by_person"]) for e in placed] == [("admin", by_mori)] * 2


class TestReschedule:
    async def test_an_admin_moves_a_meeting_and_everyone_sees_the_new_revision(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        _, meetings, sides = await scheduled(matching, admin, publish)
        mori = await person(matching, "Mori Aiko", "admin")
        meeting, target = meetings[0], free_slot(meetings)
        path = f"/meetings/{meeting['meeting_id']}/reschedule"

        in_tokyo = {
            edge: datetime.fromisoformat(at).astimezone(ZoneInfo("Asia/Tokyo")).isoformat()
            for edge, at in target.items()
        }  # written in Japan time, kept and shown back in UTC like every meeting

        answer = await mori.caller.post(path, {"slot": in_tokyo, "table": ROOM, "reason": "late"})

        assert answer.status == 200, await answer.text()
        moved = await answer.json()
        assert moved["slot"]["start"].replace("+00:00", "Z") == target["start"]
        assert (moved["table"], moved["sequence"]) == (ROOM, 1)
        [change] = moved["changes"]
        assert (change["kind"], change["by"], change["reason"]) == ("rescheduled", "admin", "late")
        assert change["by_person"]["person_id"] == mori.person_id
        assert change["from_slot"] == meeting["slot"] and change["from_table"] == meeting["table"]
        [event] = await published(matching, "jamp.meeting.rescheduled.v1")
        assert (event.data["sequence"], event.data["table"]) == (1, ROOM)
        assert event.data["previous_table"] == meeting["table"]
        assert event.data["by_person"]["name"] == "Mori Aiko"
        # The company's agenda shows the same event, moved: same UID, the new SEQUENCE.
        own = sides[meeting["company_id"]]
        agenda = await (await own.get(f"/companies/{meeting['company_id']}/meetings")).json()
        [entry] = agenda["meetings"]
        assert (entry["uid"], entry["sequence"]) == (meeting_uid(meeting["meeting_id"]), 1)
        assert (entry["location"], entry["video_link"]) == ("Online", ROOM)
        headers = {"Authorization": f"Bearer {own.key}", "Accept": "text/calendar"}
        ics = await own.client.get(f"/companies/{meeting['company_id']}/meetings", headers=headers)
        [vevent] = Calendar.from_ical(await ics.read()).walk("VEVENT")
        assert str(vevent["UID"]) == meeting_uid(meeting["meeting_id"])
        assert int(vevent["SEQUENCE"]) == 1

    async def test_a_move_onto_the_other_meeting_of_the_city_is_a_conflict_naming_the_slot(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        _, meetings, _ = await scheduled(matching, admin, publish)
        path = f"/meetings/{meetings[0]['meeting_id']}/reschedule"

        answer = await admin.post(path, {"slot": meetings[1]["slot"]})

        assert answer.status == 409
        problem = await answer.json()
        assert (problem["field"], problem["party"]) == ("body.slot", "city")
        assert problem["conflicting_meeting"] == meetings[1]["meeting_id"]
        assert await published(matching, "jamp.meeting.rescheduled.v1") == []

    async def test_a_move_outside_a_sides_declared_slots_needs_its_agreement(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        _, meetings, _ = await scheduled(matching, admin, publish, city_available=[0, 1])
        path = f"/meetings/{meetings[0]['meeting_id']}/reschedule"
        target = {"slot": free_slot(meetings), "reason": "the mayor's flight"}

        refused = await admin.post(path, target)

        assert refused.status == 409, await refused.text()
        problem = await refused.json()
        assert (problem["field"], problem["party"], problem["available_slots"]) == (
            "body.slot", "city", [0, 1],
        )  # fmt: skip
        assert await published(matching, "jamp.meeting.rescheduled.v1") == []
        agreed = await admin.post(path, {**target, "party_agreed": True})
        assert agreed.status == 200, await agreed.text()
        [change] = (await agreed.json())["changes"]
        assert change["party_agreed"] is True

    async def test_a_video_link_is_one_room_whatever_the_case_of_its_scheme_and_host(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        _, meetings, _ = await scheduled(matching, admin, publish)
        path = f"/meetings/{meetings[0]['meeting_id']}/reschedule"

        moved = await admin.post(path, {"table": "HTTPS://Meet.Example.org/Room-1"})

        assert moved.status == 200, await moved.text()
        assert (await moved.json())["table"] == "https://meet.example.org/Room-1"  # path kept

    async def test_a_move_outside_the_session_or_to_an_unknown_table_is_refused_by_field(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        _, meetings, _ = await scheduled(matching, admin, publish)
        path = f"/meetings/{meetings[0]['meeting_id']}/reschedule"
        after = {"start": f"{DAY}T02:30:00Z", "end": f"{DAY}T03:00:00Z"}
        cases = [
            ({"slot": after}, "body.slot.end"),
            ({"table": "Table Z"}, "body.table"),
            ({"table": "http://meet.example.org/jamp-room-2"}, "body.table"),
            ({"table": "https://meet.example.org/r\r\nX-Injected: 1"}, "body.table"),
            ({"reason": "nothing else"}, "body"),
        ]
        for body, field in cases:
            answer = await admin.post(path, body)
            assert answer.status == 422, body
            fields = [error["field"] for error in (await answer.json())["errors"]]
            assert fields == [field], (body, fields)
        unchanged = await (await admin.get(f"/meetings/{meetings[0]['meeting_id']}")).json()
        assert (unchanged["sequence"], unchanged["changes"]) == (0, [])


class TestCancel:
    async def test_an_admin_cancels_a_meeting_with_a_reason_and_its_match_is_mutual_again(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        _, meetings, _ = await scheduled(matching, admin, publish)
        meeting = meetings[0]
        path = f"/meetings/{meeting['meeting_id']}/cancel"

        answer = await admin.post(path, {"reason": "The company cannot travel"})

        assert answer.status == 200, await answer.text()
        cancelled = await answer.json()
        assert (cancelled["status"], cancelled["sequence"]) == ("cancelled", 1)
        assert cancelled["cancelled_reason"] == "The company cannot travel"
        assert cancelled["changes"][0]["by"] == "admin"
        [event] = await published(matching, "jamp.meeting.cancelled.v1")
        assert (event.data["sequence"], event.data["by"]) == (1, "admin")
        # One key for the meeting's every event, so its invitation is never overtaken.
        invitations = await published(matching, "jamp.meeting.scheduled.v1")
        [invitation] = [i for i in invitations if i.data["meeting_id"] == meeting["meeting_id"]]
        assert invitation.subject == event.subject == meeting["meeting_id"]
        match = await (await admin.get(f"/matches/{meeting['match_id']}")).json()
        assert (match["status"], match["meeting_id"]) == ("accepted", None)
        assert (await admin.post(path, {"reason": "again"})).status == 409
        moved = await admin.post(f"/meetings/{meeting['meeting_id']}/reschedule", {"table": "B"})
        assert moved.status == 409
        assert (await admin.post(path, {})).status == 422


class TestWhoMayChangeMeetings:
    async def test_only_admins_move_or_cancel_and_an_unknown_meeting_is_a_404(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        _, meetings, sides = await scheduled(matching, admin, publish)
        meeting = meetings[0]
        operator = await granted(matching, "operator")
        callers = [sides["city"], sides[meeting["company_id"]], operator]
        move = {"table": "B"}
        for caller in callers:
            for action, body in (("reschedule", move), ("cancel", {"reason": "not mine"})):
                answer = await caller.post(f"/meetings/{meeting['meeting_id']}/{action}", body)
                assert answer.status == 403, (action, await answer.text())
            assert (await caller.post("/sessions/x/place-late")).status == 403
        assert (await admin.post("/meetings/nothing/reschedule", move)).status == 404
        assert (await admin.post("/meetings/nothing/cancel", {"reason": "gone"})).status == 404
        assert (await admin.post("/sessions/nothing/place-late")).status == 404


async def one_accepted_one_waiting(
    matching: TestClient[Any, Any], admin: Caller, publish: Publisher
) -> tuple[list[dict[str, Any]], Caller, Caller]:
    """Two companies matched to a city's need; only the first pair accepted so far. The
    matches, the city, and the second company."""
    city_id = f"city-{uuid.uuid4().hex[:8]}"
    await add_city(publish, city_id)
    first, second = company(tags=["water_supply", "flood_control"]), company(name_en="Second")
    need = proposal(status="accepted", city_id=city_id)
    for profile in (first, second):
        await register(publish, profile)
    await submit(publish, need)
    found = await eventually(lambda: exactly(admin, need.proposal_id, 2))
    city = await granted(matching, f"city:{city_id}")
    callers = [await granted(matching, f"company:{m['company_id']}") for m in found]
    await callers[0].post(f"/matches/{found[0]['match_id']}/accept")
    await city.post(f"/matches/{found[0]['match_id']}/accept")
    return found, city, callers[1]


class TestLatePlacement:
    async def test_a_late_acceptance_is_placed_and_placed_meetings_stay_put(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        found, city, late_company = await one_accepted_one_waiting(matching, admin, publish)
        session_id = await session_of(admin, SLOTS[:2], tables=["A"])
        first = await (await admin.post(f"/sessions/{session_id}/schedule")).json()
        [placed] = first["meetings"]
        await late_company.post(f"/matches/{found[1]['match_id']}/accept")
        await city.post(f"/matches/{found[1]['match_id']}/accept")

        assert (await admin.post(f"/sessions/{session_id}/schedule")).status == 409
        answer = await admin.post(f"/sessions/{session_id}/place-late")

        assert answer.status == 200, await answer.text()
        after = await answer.json()
        kept = [m for m in after["meetings"] if m["meeting_id"] == placed["meeting_id"]]
        assert kept == [placed]  # same slot, table and revision
        [added] = [m for m in after["meetings"] if m["meeting_id"] != placed["meeting_id"]]
        assert added["match_id"] == found[1]["match_id"]
        assert added["slot"] != placed["slot"]  # the city meets one company at a time
        assert after["unplaced"] == []
        assert [run["late"] for run in after["runs"]] == [False, True]
        assert after["runs"][1]["placed"] == [added["meeting_id"]]
        assert len(await published(matching, "jamp.meeting.scheduled.v1")) == 2

    async def test_place_late_needs_a_scheduled_session(
        self, matching: TestClient[Any, Any], admin: Caller
    ) -> None:
        session_id = await session_of(admin, SLOTS)
        assert (await admin.post(f"/sessions/{session_id}/place-late")).status == 409

    async def test_matches_left_out_are_listed_on_the_session_with_their_reason(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        await accepted_pair(matching, admin, publish, f"c-{uuid.uuid4().hex[:8]}")
        session_id = await session_of(admin, SLOTS[:1])  # one slot: the city meets one
        scheduled_view = await (await admin.post(f"/sessions/{session_id}/schedule")).json()
        [meeting] = scheduled_view["meetings"]
        [left] = scheduled_view["unplaced"]
        assert left["reason"] == "no_free_slot_for_both" and left["detail"]
        assert left["match_id"] != meeting["match_id"]

        cancel = f"/meetings/{meeting['meeting_id']}/cancel"
        assert (
            await admin.post(cancel, {"reason": "The city's delegation cannot come"})
        ).status == 200
        late = await (await admin.post(f"/sessions/{session_id}/place-late")).json()

        # The slot is free again: the other match takes it; the cancelled one is not
        # offered again in this session, and says so.
        placed = [m for m in late["meetings"] if m["status"] == "scheduled"]
        assert [m["match_id"] for m in placed] == [left["match_id"]]
        reasons = {u["match_id"]: u["reason"] for u in late["unplaced"]}
        assert reasons == {meeting["match_id"]: "cancelled_in_session"}
        view = await (await admin.get(f"/sessions/{session_id}")).json()
        assert view["unplaced"] == late["unplaced"]
