"""SLA clocks that tell the truth: reopening, calendar changes, exact states, validation."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.integration.inquiries.conftest import ManualClock, history_types, inquiry, submitted
from tests.support import Caller, eventually

SATURDAY_NOON_HANOI = datetime(2026, 3, 7, 5, 0, tzinfo=UTC)
EVERY_DAY = {"time_zone": "Asia/Ho_Chi_Minh", "working_days": [1, 2, 3, 4, 5, 6, 7]}
WEEKDAYS = {"time_zone": "Asia/Ho_Chi_Minh", "working_days": [1, 2, 3, 4, 5]}


async def _read(caller: Caller, inquiry_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await (await caller.get(f"/inquiries/{inquiry_id}")).json()
    return found


class TestReopening:
    async def test_reopening_restarts_the_resolution_clock_and_clears_the_closure(
        self, vn_desk: Caller, operator: Caller, clock: ManualClock
    ) -> None:
        inquiry_id = (await submitted(vn_desk, priority="urgent"))["inquiry_id"]
        await operator.post(f"/inquiries/{inquiry_id}/replies", {"body": "Answer."})
        closed = await (await operator.post(f"/inquiries/{inquiry_id}/close", {})).json()
        assert closed["clocks"]["resolution"]["state"] == "met" and closed["sla_state"] == "met"
        clock.advance(days=1)
        reopened = await vn_desk.post(f"/inquiries/{inquiry_id}/reopen", {"reason": "more"})
        body = await reopened.json()
        assert body["closed_at"] is None
        assert body["clocks"]["resolution"]["state"] == "running"
        assert body["clocks"]["first_response"]["state"] == "met"  # it was answered
        assert body["sla_state"] == "running"
        report = await (await operator.get("/reports/inquiries", country="VN")).json()
        row = next(r for r in report["rows"] if r["category"] == "market_information")
        assert row["open"] == 1 and row["sla_met"] == 1  # the first response only

    async def test_reopened_work_warns_and_breaches_again(
        self, vn_desk: Caller, operator: Caller, clock: ManualClock
    ) -> None:
        inquiry_id = (await submitted(vn_desk, priority="urgent"))["inquiry_id"]
        await operator.post(f"/inquiries/{inquiry_id}/close", {})
        await vn_desk.post(f"/inquiries/{inquiry_id}/reopen", {})
        current = await _read(operator, inquiry_id)
        # Never answered: both clocks run again, from the reopening.
        assert current["clocks"]["first_response"]["state"] == "running"
        clock.advance(hours=2)
        await eventually(lambda: _breached(operator, inquiry_id))
        types = await history_types(operator, inquiry_id)
        assert types.count("sla_started") == 4


async def _breached(caller: Caller, inquiry_id: str) -> bool:
    return await _in_state(caller, inquiry_id, "breached")


async def _in_state(caller: Caller, inquiry_id: str, state: str) -> bool:
    current: str = (await _read(caller, inquiry_id))["sla_state"]
    return current == state


class TestCalendarChanges:
    async def test_a_calendar_change_recomputes_running_deadlines_from_the_change(
        self, vn_desk: Caller, admin: Caller, clock: ManualClock
    ) -> None:
        assert (await admin.put("/calendars/VN", EVERY_DAY)).status == 200
        clock.now = SATURDAY_NOON_HANOI
        inquiry_id = (await submitted(vn_desk, priority="normal"))["inquiry_id"]
        clock.advance(hours=1)  # Saturday 13:00: one business hour counted
        assert (await admin.put("/calendars/VN", WEEKDAYS)).status == 200
        current = await _read(vn_desk, inquiry_id)
        first = current["clocks"]["first_response"]
        # 480 - 60 minutes left, from Monday 09:00 on the weekday calendar: 16:00 Monday.
        assert first["deadline"] == "2026-03-09T09:00:00Z"
        assert first["used_seconds"] == 3600
        clock.now = datetime(2026, 3, 9, 3, 0, tzinfo=UTC)  # Monday 10:00 Hanoi
        await vn_desk.post(f"/inquiries/{inquiry_id}/replies", {"body": "Here."})
        answered = await _read(vn_desk, inquiry_id)
        # Saturday 12-13 (old calendar) + Monday 9-10 (new); no Sunday credited.
        assert answered["clocks"]["first_response"]["used_seconds"] == 7200
        assert "sla_recalculated" in await history_types(vn_desk, inquiry_id)

    async def test_a_time_zone_that_is_a_folder_is_a_422_naming_the_field(
        self, admin: Caller
    ) -> None:
        response = await admin.put("/calendars/VN", {"time_zone": "Asia"})
        assert response.status == 422
        assert (await response.json())["errors"][0]["field"] == "body.time_zone"

    async def test_a_calendar_without_business_time_is_refused_and_submissions_go_on(
        self, vn_desk: Caller, admin: Caller, clock: ManualClock
    ) -> None:
        saturdays = [(date(2026, 3, 7) + timedelta(weeks=n)).isoformat() for n in range(200)]
        calendar = {"time_zone": "Asia/Ho_Chi_Minh", "working_days": [6], "holidays": saturdays}
        response = await admin.put("/calendars/VN", calendar)
        assert response.status == 422
        assert (await response.json())["errors"][0]["field"] == "body.holidays"
        assert (await vn_desk.post("/inquiries", inquiry())).status == 201


class TestExactStates:
    async def test_a_merged_duplicate_shows_cancelled_not_met(
        self, vn_desk: Caller, operator: Caller
    ) -> None:
        kept = (await submitted(vn_desk))["inquiry_id"]
        duplicate = (await submitted(vn_desk))["inquiry_id"]
        merged = await operator.post(f"/inquiries/{duplicate}/merge", {"into": kept})
        assert (await merged.json())["sla_state"] == "cancelled"
        listed = await (await operator.get("/inquiries", sla="cancelled")).json()
        assert [item["inquiry_id"] for item in listed["items"]] == [duplicate]

    async def test_closed_without_a_reply_shows_cancelled(
        self, vn_desk: Caller, operator: Caller
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        closed = await (await operator.post(f"/inquiries/{inquiry_id}/close", {})).json()
        assert closed["clocks"]["first_response"]["state"] == "cancelled"
        assert closed["sla_state"] == "cancelled"

    async def test_a_paused_clock_that_had_warned_is_listed_as_paused(
        self, vn_desk: Caller, operator: Caller, clock: ManualClock
    ) -> None:
        inquiry_id = (await submitted(vn_desk, priority="urgent"))["inquiry_id"]
        await operator.post(f"/inquiries/{inquiry_id}/replies", {"body": "Which city?"})
        clock.advance(minutes=400)  # 75 % of the 480-minute resolution target
        await eventually(lambda: _warned(operator, inquiry_id))
        await operator.post(f"/inquiries/{inquiry_id}/wait", {})
        listed = await (await operator.get("/inquiries", sla="paused")).json()
        assert [item["inquiry_id"] for item in listed["items"]] == [inquiry_id]


async def _warned(caller: Caller, inquiry_id: str) -> bool:
    return await _in_state(caller, inquiry_id, "warning")
