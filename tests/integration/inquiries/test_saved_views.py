"""Views: the built-in ones, a person's own and a desk's shared ones, each a named set of
list filters run with the caller's own scope (a view never shows more than the key may)."""

from typing import Any

from aiohttp.test_utils import TestClient

from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.inquiries.conftest import THAI, ManualClock, submitted
from tests.support import Caller, eventually, person, read_topic

BUILT_IN = ["mine", "unassigned-in-my-queues", "due-today", "breached", "waiting-on-requester"]


async def _run(caller: Caller, view_id: str) -> set[str]:
    response = await caller.get(f"/views/{view_id}/inquiries")
    assert response.status == 200, await response.text()
    return {item["inquiry_id"] for item in (await response.json())["items"]}


async def _staffed(admin: Caller, queue: str, **fields: Any) -> None:
    queues = await (await admin.get("/queues")).json()
    for entry in queues["queues"]:
        if entry["name"] == queue:
            entry.update(fields)
    assert (await admin.put("/queues", queues)).status == 200


def _field(answer: dict[str, Any]) -> str:
    field: str = answer["errors"][0]["field"]
    return field


async def test_mine_unassigned_in_my_queues_and_waiting_on_requester(
    inquiries: TestClient[Any, Any], vn_desk: Caller, admin: Caller
) -> None:
    sato = await person(inquiries, "Sato Ken", "desk:VN")
    await _staffed(admin, "desk-vn", members=[sato.person_id])
    mine = (await submitted(vn_desk))["inquiry_id"]
    assigned = await vn_desk.post(f"/inquiries/{mine}/assign", {"officer": sato.person_id})
    assert assigned.status == 200
    unassigned = (await submitted(vn_desk))["inquiry_id"]
    elsewhere = (await submitted(vn_desk, category="partner_search"))["inquiry_id"]  # matching
    waiting = (await submitted(vn_desk))["inquiry_id"]
    assert (await vn_desk.post(f"/inquiries/{waiting}/replies", {"body": "Which city?"})).ok
    assert (await vn_desk.post(f"/inquiries/{waiting}/wait", {})).status == 200

    listed = (await (await sato.caller.get("/views")).json())["items"]
    assert [view["view_id"] for view in listed] == BUILT_IN
    assert listed[1]["filters"]["queue"] == ["desk-vn"]
    assert await _run(sato.caller, "mine") == {mine}
    assert await _run(sato.caller, "unassigned-in-my-queues") == {unassigned, waiting}
    assert elsewhere not in await _run(admin, "waiting-on-requester")
    assert await _run(sato.caller, "waiting-on-requester") == {waiting}
    # A key of no person has no queues and no inquiries of its own.
    assert await _run(vn_desk, "unassigned-in-my-queues") == set()
    nobody = await vn_desk.get("/views/mine/inquiries")
    assert (nobody.status, _field(await nobody.json())) == (422, "query.assignee")


async def test_due_today_and_breached(
    inquiries: TestClient[Any, Any], vn_desk: Caller, clock: ManualClock
) -> None:
    sato = await person(inquiries, "Sato Ken", "desk:VN")
    urgent = (await submitted(vn_desk, priority="urgent"))["inquiry_id"]  # due in an hour
    low = (await submitted(vn_desk, priority="low"))["inquiry_id"]  # due in two days
    assert await _run(sato.caller, "due-today") == {urgent}
    assert await _run(sato.caller, "breached") == set()
    clock.advance(minutes=65)

    async def breached() -> set[str] | None:
        found = await _run(sato.caller, "breached")
        return found or None

    assert await eventually(breached) == {urgent}
    assert await _run(sato.caller, "due-today") == {urgent}  # overdue still counts
    assert low not in await _run(sato.caller, "due-today")


async def test_a_view_runs_with_the_callers_own_scope_never_wider(
    inquiries: TestClient[Any, Any], vn_desk: Caller, th_desk: Caller
) -> None:
    tanaka = await person(inquiries, "Tanaka Yui", "admin", "desk:VN")
    as_admin, as_vn_desk = tanaka.callers
    vn = (await submitted(vn_desk, category="financing"))["inquiry_id"]
    thai = (await submitted(th_desk, category="financing", **THAI))["inquiry_id"]
    spec = {"name": "Financing", "filters": {"category": ["financing"], "sort": "updated"}}
    created = await as_admin.post("/views", spec)
    assert created.status == 201, await created.text()
    view = await created.json()
    assert (view["owner"], view["shared"]) == (tanaka.person_id, False)
    assert await _run(as_admin, view["view_id"]) >= {vn, thai}
    assert await _run(as_vn_desk, view["view_id"]) == {vn}  # the same person, a narrower key
    thai_only = {"name": "Thai", "filters": {"country": ["TH"]}}
    thai_view = await (await as_admin.post("/views", thai_only)).json()
    refused = await as_vn_desk.get(f"/views/{thai_view['view_id']}/inquiries")
    assert refused.status == 403

    sato = await person(inquiries, "Sato Ken", "desk:VN")
    own = f"/views/{view['view_id']}"
    assert (await sato.caller.get(own)).status == 404
    assert (await sato.caller.get(f"{own}/inquiries")).status == 404
    assert (await sato.caller.put(own, spec)).status == 404
    listed = (await (await sato.caller.get("/views")).json())["items"]
    assert [v["view_id"] for v in listed] == BUILT_IN


async def test_shared_views_are_kept_by_admins_and_the_desk_supervisor_read_by_its_staff(
    inquiries: TestClient[Any, Any], vn_desk: Caller, th_desk: Caller, admin: Caller
) -> None:
    sato = await person(inquiries, "Sato Ken", "desk:VN")
    urgent_spec = {"name": "Urgent", "filters": {"priority": ["urgent"]}, "shared": True}
    refused = await sato.caller.post("/views", urgent_spec)
    assert refused.status == 403  # not the desk's supervisor (yet)
    await _staffed(admin, "desk-vn", supervisor=sato.person_id)
    created = await sato.caller.post("/views", urgent_spec)
    assert created.status == 201, await created.text()
    shared = await created.json()
    assert (shared["country"], shared["owner"]) == ("VN", None)
    urgent = (await submitted(vn_desk, priority="urgent"))["inquiry_id"]
    await submitted(vn_desk)
    assert await _run(vn_desk, shared["view_id"]) == {urgent}
    assert shared["view_id"] in [
        v["view_id"] for v in (await (await vn_desk.get("/views")).json())["items"]
    ]
    one = f"/views/{shared['view_id']}"
    assert (await th_desk.get(one)).status == 404
    assert (await th_desk.get(f"{one}/inquiries")).status == 404
    thai_list = (await (await th_desk.get("/views")).json())["items"]
    assert shared["view_id"] not in [v["view_id"] for v in thai_list]
    assert (await vn_desk.put(one, urgent_spec)).status == 403  # staff read; they do not keep
    for_th = await sato.caller.post("/views", {**urgent_spec, "country": "TH"})
    assert (for_th.status, (await for_th.json())["field"]) == (403, "body.country")
    th_view = await admin.post("/views", {**urgent_spec, "country": "TH"})
    assert th_view.status == 201


async def test_bad_views_are_422s_naming_the_field_and_built_ins_stay(
    inquiries: TestClient[Any, Any], vn_desk: Caller, admin: Caller
) -> None:
    sato = await person(inquiries, "Sato Ken", "desk:VN")
    for body, field in (
        ({"name": "x", "filters": {"status": ["lost"]}}, "body.filters.status.0"),
        ({"name": "x", "filters": {"colour": ["red"]}}, "body.filters.colour"),
        ({"name": "", "filters": {}}, "body.name"),
        ({"name": "x", "country": "VN"}, "body.country"),
    ):
        response = await sato.caller.post("/views", body)
        assert (response.status, _field(await response.json())) == (422, field), body
    no_person = await vn_desk.post("/views", {"name": "x"})
    assert (no_person.status, _field(await no_person.json())) == (422, "body.shared")
    no_desk = await admin.post("/views", {"name": "x", "shared": True})
    assert (no_desk.status, _field(await no_desk.json())) == (422, "body.country")
    assert (await sato.caller.put("/views/mine", {"name": "x"})).status == 403
    assert (await sato.caller.delete("/views/breached")).status == 403
    assert (await sato.caller.get("/views/nope/inquiries")).status == 404


async def test_each_view_change_is_audited_with_the_person_and_published(
    inquiries: TestClient[Any, Any], settings: ServiceSettings, admin: Caller
) -> None:
    sato = await person(inquiries, "Sato Ken", "desk:VN")
    view = await (await sato.caller.post("/views", {"name": "Mine, urgent"})).json()
    one = f"/views/{view['view_id']}"
    changed = await sato.caller.put(one, {"name": "Urgent", "filters": {"priority": ["urgent"]}})
    assert (changed.status, (await changed.json())["version"]) == (200, 2)
    assert (await sato.caller.delete(one)).status == 204
    assert (await sato.caller.get(one)).status == 404
    history = await admin.get("/configuration/history", setting="view")
    changes = (await history.json())["items"]
    assert [(c["key"], c["by_person"]["name"], c["after"] is None) for c in changes] == [
        (view["view_id"], "Sato Ken", True),
        (view["view_id"], "Sato Ken", False),
        (view["view_id"], "Sato Ken", False),
    ]
    topic = Topics(settings.topic_prefix).of("inquiries")

    async def published() -> list[dict[str, Any]] | None:
        envelopes = [Envelope.from_bytes(r.value) for r in await read_topic(settings, topic, 1)]
        found = [e.data for e in envelopes if e.data.get("key") == view["view_id"]]
        return found if len(found) == 3 else None

    assert [e["setting"] for e in await eventually(published)] == ["view"] * 3
