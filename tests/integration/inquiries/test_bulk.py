"""Bulk changes: each inquiry changed alone, with its own history and event; the answer
says which succeeded and why the others did not."""

from typing import Any

from aiohttp.test_utils import TestClient

from tests.integration.inquiries.conftest import THAI, history_types, submitted
from tests.support import Caller, granted, person


async def test_a_bulk_assignment_changes_each_alone_and_names_the_refusals(
    inquiries: TestClient[Any, Any], vn_desk: Caller, th_desk: Caller
) -> None:
    tanaka = await person(inquiries, "Tanaka", "desk:VN")
    first = (await submitted(vn_desk))["inquiry_id"]
    second = (await submitted(vn_desk))["inquiry_id"]
    closed = (await submitted(vn_desk))["inquiry_id"]
    assert (await vn_desk.post(f"/inquiries/{closed}/close", {})).status == 200
    thai = (await submitted(th_desk, **THAI))["inquiry_id"]
    body = {"inquiry_ids": [first, closed, second, thai], "assign": {"officer": tanaka.person_id}}
    response = await vn_desk.post("/inquiries/bulk", body)
    assert response.status == 200, await response.text()
    answer = await response.json()
    assert (answer["succeeded"], answer["failed"]) == (2, 2)
    results = {item["inquiry_id"]: item for item in answer["items"]}
    assert [item["inquiry_id"] for item in answer["items"]] == body["inquiry_ids"]
    assert results[first]["ok"] and results[second]["ok"]
    assert (results[closed]["ok"], results[closed]["problem"]) == (False, 409)
    assert "closed" in results[closed]["detail"]
    assert (results[thai]["ok"], results[thai]["problem"]) == (False, 404)  # not this desk's
    for inquiry_id in (first, second):
        current = await (await vn_desk.get(f"/inquiries/{inquiry_id}")).json()
        assert (current["officer"], current["status"]) == (tanaka.person_id, "assigned")
        assert (await history_types(vn_desk, inquiry_id)).count("assigned") == 1
    assert "assigned" not in await history_types(vn_desk, closed)


async def test_bulk_priority_and_close_each_leave_their_own_history(
    vn_desk: Caller, operator: Caller
) -> None:
    ids = [(await submitted(vn_desk))["inquiry_id"] for _ in range(3)]
    raised = await operator.post("/inquiries/bulk", {"inquiry_ids": ids, "priority": "urgent"})
    assert (await raised.json())["succeeded"] == 3
    for inquiry_id in ids:
        current = await (await operator.get(f"/inquiries/{inquiry_id}")).json()
        assert current["priority"] == "urgent"
        assert (await history_types(operator, inquiry_id)).count("updated") == 1
    body = {"inquiry_ids": [*ids, "no-such-inquiry"], "close": {"reason": "answered by phone"}}
    closing = await (await operator.post("/inquiries/bulk", body)).json()
    assert (closing["succeeded"], closing["failed"]) == (3, 1)
    assert closing["items"][-1]["problem"] == 404
    for inquiry_id in ids:
        assert (await (await operator.get(f"/inquiries/{inquiry_id}")).json())["status"] == "closed"


async def test_a_bulk_request_names_its_bad_fields_and_changes_nothing(
    inquiries: TestClient[Any, Any], vn_desk: Caller
) -> None:
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    for bad, field in (
        ({"inquiry_ids": [inquiry_id]}, "body"),
        ({"inquiry_ids": [inquiry_id], "priority": "high", "close": {}}, "body"),
        ({"inquiry_ids": [], "priority": "high"}, "body.inquiry_ids"),
        ({"inquiry_ids": [inquiry_id, inquiry_id], "priority": "high"}, "body.inquiry_ids"),
        ({"inquiry_ids": [inquiry_id], "priority": "soon"}, "body.priority"),
    ):
        response = await vn_desk.post("/inquiries/bulk", bad)
        assert response.status == 422, bad
        assert (await response.json())["errors"][0]["field"] == field, bad
    assert (await (await vn_desk.get(f"/inquiries/{inquiry_id}")).json())["version"] == 1
    company = await granted(inquiries, "city:da-nang")
    refused = await company.post("/inquiries/bulk", {"inquiry_ids": [inquiry_id], "close": {}})
    assert refused.status == 403
