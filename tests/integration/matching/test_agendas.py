"""Agendas: a company's and a city's meetings in its own time zone, as JSON or as an
RFC 5545 calendar, with the table or the online room's link."""

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from icalendar import Calendar

from tests.integration.matching.conftest import Publisher, accepted_pair, company, register
from tests.integration.matching.test_sessions import DAY, SLOTS
from tests.support import Caller, eventually, granted

ROOM = "https://meet.example.org/jamp-room-1"


async def scheduled(
    matching: TestClient[Any, Any], admin: Caller, publish: Publisher
) -> tuple[str, list[str]]:
    """A city of its own meeting two companies: the better match at a table, then the
    other in an online room."""
    city_id = f"city-{uuid.uuid4().hex[:8]}"
    found, _ = await accepted_pair(matching, admin, publish, city_id)
    # The better match gets the one table of the first session, the other the online room.
    for name, slot, table in (("High-level meeting", 0, "Table A"), ("Follow-up", 1, ROOM)):
        body = {"name": name, "slots": SLOTS[slot : slot + 1], "tables": [table]}
        session_id = (await (await admin.post("/sessions", body)).json())["session_id"]
        assert (await admin.post(f"/sessions/{session_id}/schedule")).status == 200
    return city_id, [match["company_id"] for match in found]


async def calendar_of(caller: Caller, path: str) -> Calendar:
    headers = {"Authorization": f"Bearer {caller.key}", "Accept": "text/calendar"}
    response = await caller.client.get(path, headers=headers)
    assert response.status == 200
    assert response.content_type == "text/calendar"
    return Calendar.from_ical(await response.read())


class TestAgendaAsJson:
    async def test_a_city_sees_its_meetings_in_its_own_zone(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        city_id, _ = await scheduled(matching, admin, publish)
        city = await granted(matching, f"city:{city_id}")

        agenda = await (await city.get(f"/cities/{city_id}/meetings")).json()

        assert agenda["time_zone"] == "Asia/Ho_Chi_Minh"
        starts = [entry["start"] for entry in agenda["meetings"]]
        assert starts == [f"{DAY}T08:00:00+07:00", f"{DAY}T08:30:00+07:00"]
        places = [(entry["location"], entry["video_link"]) for entry in agenda["meetings"]]
        assert places == [("Table A", None), ("Online", ROOM)]
        names = [entry["session_name"] for entry in agenda["meetings"]]
        assert names == ["High-level meeting", "Follow-up"]

    async def test_a_company_sees_its_meeting_in_japan_time(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        _, companies = await scheduled(matching, admin, publish)
        own = await granted(matching, f"company:{companies[1]}")

        agenda = await (await own.get(f"/companies/{companies[1]}/meetings")).json()

        assert agenda["time_zone"] == "Asia/Tokyo"
        [entry] = agenda["meetings"]
        assert (entry["company_name"], entry["video_link"]) == ("Second Water", ROOM)
        assert entry["proposal_title"] == "Water supply network leakage reduction"
        assert entry["start"].endswith("+09:00")

    @pytest.mark.parametrize(
        ("grant", "status"),
        [("own", 200), ("admin", 200), ("operator", 200), ("company:other", 403)],
    )
    async def test_only_the_party_and_staff_read_an_agenda(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        grant: str,
        status: int,
    ) -> None:
        profile = company()
        await register(publish, profile)
        path = f"/companies/{profile.company_id}/meetings"
        caller = await granted(
            matching, f"company:{profile.company_id}" if grant == "own" else grant
        )
        assert (await eventually(lambda: _status_when_known(caller, path))) == status

    async def test_an_unknown_city_is_a_404(
        self, matching: TestClient[Any, Any], admin: Caller
    ) -> None:
        assert (await admin.get("/cities/nowhere/meetings")).status == 404


async def _status_when_known(caller: Caller, path: str) -> int | None:
    status = (await caller.get(path)).status
    return None if status == 404 else status


class TestAgendaAsCalendar:
    async def test_the_city_calendar_has_each_meeting_with_its_place_and_zone(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        city_id, _ = await scheduled(matching, admin, publish)
        city = await granted(matching, f"city:{city_id}")

        calendar = await calendar_of(city, f"/cities/{city_id}/meetings")

        events = sorted(calendar.walk("VEVENT"), key=lambda event: event.decoded("dtstart"))
        assert len(events) == 2
        zone = ZoneInfo("Asia/Ho_Chi_Minh")
        first = events[0].decoded("dtstart")
        assert first == datetime.fromisoformat(SLOTS[0]["start"])
        assert first.utcoffset() == datetime.now(zone).utcoffset()
        assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
        online = [event for event in events if str(event.get("location")) == "Online"]
        assert [str(event["url"]) for event in online] == [ROOM]
        assert all(str(event["status"]) == "CONFIRMED" for event in events)
        assert all(" \u00d7 " in str(event["summary"]) for event in events)

    async def test_a_calendar_the_client_refuses_is_not_sent(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        city_id, _ = await scheduled(matching, admin, publish)
        city = await granted(matching, f"city:{city_id}")
        headers = {"Authorization": f"Bearer {city.key}",
                   "Accept": "application/json, text/calendar;q=0"}  # fmt: skip
        response = await matching.get(f"/cities/{city_id}/meetings", headers=headers)
        assert response.status == 200 and response.content_type == "application/json"

    async def test_the_openapi_document_names_both_media_types(
        self, matching: TestClient[Any, Any], admin: Caller
    ) -> None:
        document = await (await admin.get("/openapi.json")).json()
        for path in ("/companies/{company_id}/meetings", "/cities/{city_id}/meetings"):
            content = document["paths"][path]["get"]["responses"]["200"]["content"]
            assert set(content) == {"application/json", "text/calendar"}
