"""Desk scope isolation, filters, text search, cursor pagination, and bad input."""

from typing import Any

from aiohttp.test_utils import TestClient

from shared.http.pagination import encode_cursor
from shared.mongo import new_id
from tests.integration.inquiries.conftest import THAI, inquiry, known_company, submitted
from tests.support import Caller, granted, person


async def _ids(caller: Caller, **params: Any) -> list[str]:
    response = await caller.get("/inquiries", **params)
    assert response.status == 200, await response.text()
    return [item["inquiry_id"] for item in (await response.json())["items"]]


class TestScope:
    async def test_a_desk_sees_only_its_countrys_inquiries_and_staff_see_all(
        self, vn_desk: Caller, th_desk: Caller, operator: Caller
    ) -> None:
        vietnam = (await submitted(vn_desk))["inquiry_id"]
        thailand = (await submitted(th_desk, **THAI))["inquiry_id"]
        assert await _ids(vn_desk) == [vietnam]
        assert await _ids(th_desk) == [thailand]
        assert await _ids(operator) == [thailand, vietnam]
        assert (await vn_desk.get(f"/inquiries/{thailand}")).status == 404
        assert (await vn_desk.post(f"/inquiries/{thailand}/replies", {"body": "x"})).status == 404
        assert (await vn_desk.get(f"/inquiries/{thailand}/history")).status == 404
        other_desk = await vn_desk.get("/inquiries", country="TH")
        assert (other_desk.status, (await other_desk.json())["field"]) == (403, "query.country")
        submitted_elsewhere = await vn_desk.post("/inquiries", inquiry(**THAI))
        assert (submitted_elsewhere.status, (await submitted_elsewhere.json())["field"]) == (
            403,
            "body.country",
        )

    async def test_a_company_sees_only_the_inquiries_it_asked(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller
    ) -> None:
        await known_company(inquiries, "c-7")
        own = await submitted(vn_desk, requester={"kind": "company", "company_id": "c-7"})
        await submitted(vn_desk)
        company = await granted(inquiries, "company:c-7")
        assert await _ids(company) == [own["inquiry_id"]]
        assert (await company.get(f"/inquiries/{own['inquiry_id']}/history")).status == 403
        assert (await company.post("/inquiries", inquiry())).status == 403


class TestSearch:
    async def test_filters_combine(self, vn_desk: Caller) -> None:
        financing = (await submitted(vn_desk, category="financing", priority="high"))["inquiry_id"]
        await submitted(vn_desk, category="financing")
        await submitted(vn_desk, category="events", priority="high")
        assert await _ids(vn_desk, category="financing", priority="high") == [financing]
        assert await _ids(vn_desk, queue="jbic-join-liaison", status="triaged", sla="running")

    async def test_words_find_subject_or_body_with_or_without_accents(
        self, vn_desk: Caller
    ) -> None:
        flood = await submitted(vn_desk, subject="Cảnh báo lũ sớm", body="Flood sensors on rivers")
        await submitted(vn_desk)
        assert await _ids(vn_desk, q="canh bao") == [flood["inquiry_id"]]
        assert await _ids(vn_desk, q="flood SENSORS") == [flood["inquiry_id"]]

    async def test_english_words_find_their_inflections_and_japanese_stays_as_it_was(
        self, vn_desk: Caller
    ) -> None:
        floods = await submitted(vn_desk, subject="Floods in the delta", body="River sensing")
        japanese = await submitted(vn_desk, subject="防災システムの導入", body="洪水の警報")
        await submitted(vn_desk)
        assert await _ids(vn_desk, q="flood") == [floods["inquiry_id"]]
        assert await _ids(vn_desk, q="flooding rivers sensed") == [floods["inquiry_id"]]
        assert await _ids(vn_desk, q="防災") == [japanese["inquiry_id"]]
        assert await _ids(vn_desk, q="洪水 警報") == [japanese["inquiry_id"]]
        assert await _ids(vn_desk, q="floods parking") == []

    async def test_pages_follow_the_cursor_newest_first_without_overlap(
        self, vn_desk: Caller
    ) -> None:
        created = [(await submitted(vn_desk))["inquiry_id"] for _ in range(5)]
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = await (await vn_desk.get("/inquiries", **params)).json()
            seen += [item["inquiry_id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == list(reversed(created))


class TestBadInput:
    async def test_each_invalid_field_is_named_and_nothing_is_stored(
        self, vn_desk: Caller, operator: Caller
    ) -> None:
        bad = inquiry(
            category="gossip",
            city="Da Nang!",
            language="fr",
            requester={"kind": "organisation", "organisation": "JETRO"},
        )
        response = await vn_desk.post("/inquiries", bad)
        problem = await response.json()
        assert response.status == 422
        assert response.content_type == "application/problem+json"
        fields = {error["field"] for error in problem["errors"]}
        assert {"body.category", "body.city", "body.language", "body.requester"} <= fields
        assert await _ids(operator) == []

    async def test_unknown_fields_and_non_json_are_refused(self, vn_desk: Caller) -> None:
        response = await vn_desk.post("/inquiries", inquiry(urgency="now"))
        assert (await response.json())["errors"][0]["field"] == "body.urgency"
        raw = await vn_desk.client.post(
            "/inquiries", data="x", headers={"Authorization": f"Bearer {vn_desk.key}"}
        )
        assert raw.status == 415

    async def test_bad_filters_and_cursors_name_the_parameter(self, vn_desk: Caller) -> None:
        for params, field in (
            ({"sla": "late"}, "query.sla.0"),  # the first value given
            ({"cursor": "garbage"}, "query.cursor"),
            ({"colour": "red"}, "query.colour"),
        ):
            response = await vn_desk.get("/inquiries", **params)
            assert response.status == 422
            assert (await response.json())["errors"][0]["field"] == field


async def test_the_requester_side_sees_no_queue_officer_or_person(
    inquiries: TestClient[Any, Any], vn_desk: Caller
) -> None:
    await known_company(inquiries, "c-8")
    sato = await person(inquiries, "Consul Sato", "desk:VN")
    company = await granted(inquiries, "company:c-8")
    requester = {"kind": "company", "company_id": "c-8"}
    inquiry_id = (await submitted(vn_desk, requester=requester))["inquiry_id"]
    await vn_desk.post(f"/inquiries/{inquiry_id}/assign", {"officer": sato.person_id})
    await sato.caller.post(f"/inquiries/{inquiry_id}/replies", {"body": "Answer."})
    seen = await (await company.get(f"/inquiries/{inquiry_id}")).json()
    assert (seen["queue"], seen["officer"], seen["officer_name"]) == (None, None, None)
    listed = (await (await company.get("/inquiries")).json())["items"]
    assert [(item["queue"], item["officer_name"]) for item in listed] == [(None, None)]
    messages = (await (await company.get(f"/inquiries/{inquiry_id}/messages")).json())["items"]
    assert [(m["body"], m["by"]) for m in messages] == [("Answer.", None)]
    staff = await (await vn_desk.get(f"/inquiries/{inquiry_id}")).json()
    assert (staff["queue"], staff["officer_name"]) == ("desk-vn", "Consul Sato")


class TestSeveralValuesAndSort:
    async def test_a_filter_given_twice_matches_either_value(self, vn_desk: Caller) -> None:
        urgent = (await submitted(vn_desk, priority="urgent"))["inquiry_id"]
        low = (await submitted(vn_desk, priority="low"))["inquiry_id"]
        normal = (await submitted(vn_desk, priority="normal"))["inquiry_id"]
        assert await _ids(vn_desk, priority=["urgent", "low"]) == [low, urgent]
        assert await _ids(vn_desk, priority=["urgent"], status=["triaged", "closed"]) == [urgent]
        closed = (await submitted(vn_desk))["inquiry_id"]
        assert (await vn_desk.post(f"/inquiries/{closed}/close", {})).status == 200
        both = await _ids(vn_desk, status=["closed", "assigned"], priority=["normal", "urgent"])
        assert both == [closed]
        either = await _ids(vn_desk, status=["closed", "triaged"], priority=["normal", "urgent"])
        assert either == [closed, normal, urgent]

    async def test_a_desk_asking_for_its_own_and_another_country_is_refused(
        self, vn_desk: Caller
    ) -> None:
        response = await vn_desk.get("/inquiries", country=["TH", "VN"])
        assert response.status == 403

    async def test_openapi_documents_the_filters_as_arrays(
        self, inquiries: TestClient[Any, Any]
    ) -> None:
        document = await (await inquiries.get("/openapi.json")).json()
        parameters = document["paths"]["/inquiries"]["get"]["parameters"]
        kinds = {parameter["name"]: parameter["schema"] for parameter in parameters}
        for name in ("status", "queue", "category", "country", "priority", "officer", "sla"):
            assert kinds[name]["type"] == "array", name
        assert kinds["sort"]["enum"] == ["deadline", "priority", "updated"]

    async def test_sort_by_priority_pages_through_urgent_first(self, vn_desk: Caller) -> None:
        order = ["normal", "urgent", "low", "high", "urgent"]
        ids = {(await submitted(vn_desk, priority=p))["inquiry_id"]: p for p in order}
        seen = await _all_pages(vn_desk, sort="priority")
        rank = ["urgent", "high", "normal", "low"]
        assert [ids[i] for i in seen] == sorted(order, key=rank.index)
        urgent = [i for i in seen if ids[i] == "urgent"]
        assert urgent == sorted(urgent, reverse=True)

    async def test_sort_by_deadline_puts_the_soonest_first_and_closed_last(
        self, vn_desk: Caller
    ) -> None:
        normal = (await submitted(vn_desk, priority="normal"))["inquiry_id"]
        urgent = (await submitted(vn_desk, priority="urgent"))["inquiry_id"]
        closed = (await submitted(vn_desk, priority="urgent"))["inquiry_id"]
        assert (await vn_desk.post(f"/inquiries/{closed}/close", {})).status == 200
        assert await _all_pages(vn_desk, sort="deadline") == [urgent, normal, closed]

    async def test_sort_by_updated_puts_the_latest_change_first(
        self, vn_desk: Caller, clock: Any
    ) -> None:
        first = (await submitted(vn_desk))["inquiry_id"]
        clock.advance(minutes=5)
        second = (await submitted(vn_desk))["inquiry_id"]
        clock.advance(minutes=5)
        reply = await vn_desk.post(f"/inquiries/{first}/replies", {"body": "On it."})
        assert reply.status == 201, await reply.text()
        assert await _all_pages(vn_desk, sort="updated") == [first, second]

    async def test_a_cursor_naming_another_desks_inquiry_tells_nothing_of_it(
        self, vn_desk: Caller, th_desk: Caller
    ) -> None:
        await submitted(vn_desk, priority="low")
        thailand = (await submitted(th_desk, **THAI))["inquiry_id"]
        # A fresh id no inquiry holds. (Flipping the Thai id's last digit could name the
        # Vietnamese inquiry: ObjectIds minted one after the other differ in the counter.)
        missing = new_id()
        for sort in ("priority", "deadline", "updated"):
            answers = [
                await vn_desk.get("/inquiries", sort=sort, cursor=encode_cursor(inquiry_id))
                for inquiry_id in (thailand, missing)
            ]
            # The same refusal as for an id that does not exist: not 200 with a page placed
            # by the Thai inquiry's priority, deadline or last change.
            assert [answer.status for answer in answers] == [422, 422], sort
            problems = [await answer.json() for answer in answers]
            assert problems[0]["errors"] == problems[1]["errors"]

    async def test_an_unknown_sort_is_named(self, vn_desk: Caller) -> None:
        response = await vn_desk.get("/inquiries", sort="size")
        assert response.status == 422
        assert "query.sort" in await response.text()


async def _all_pages(caller: Caller, **params: Any) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page_params: dict[str, Any] = params | {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await caller.get("/inquiries", **page_params)
        assert response.status == 200, await response.text()
        page = await response.json()
        seen += [item["inquiry_id"] for item in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            return seen
