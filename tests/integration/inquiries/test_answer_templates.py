"""Answer templates: kept per desk or queue in en, ja and the local language, with a fixed
set of placeholders; a reply is drafted from one, edited and sent; every change audited."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient

from shared.settings import ServiceSettings
from tests.integration.inquiries.conftest import THAI, configuration_changes, submitted
from tests.support import Caller, granted, person

TEXTS = {
    "en": "Dear {requester_name}, about {subject}: {officer} answers by {deadline}.",
    "ja": "{requester_name} 様 「{subject}」",
}


async def _created(caller: Caller, **fields: Any) -> dict[str, Any]:
    response = await caller.post("/answer-templates", {"name": "First contact", **fields})
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    return created


def _field_of(answer: dict[str, Any]) -> tuple[str, str]:
    error = answer["errors"][0]
    return error["field"], error["message"]


async def test_a_desk_drafts_a_reply_from_its_template_and_sends_it_edited_or_as_drafted(
    inquiries: TestClient[Any, Any],
) -> None:
    sato = await person(inquiries, "Sato Ken", "desk:VN")
    template = await _created(sato.caller, texts=TEXTS)
    assert (template["country"], template["version"]) == ("VN", 1)  # a desk's own, always
    inquiry = await submitted(sato.caller)
    inquiry_id = inquiry["inquiry_id"]
    deadline = datetime.fromisoformat(inquiry["clocks"]["first_response"]["deadline"])
    hanoi = f"{deadline.astimezone(ZoneInfo('Asia/Ho_Chi_Minh')):%Y-%m-%d %H:%M}"

    drafted = await sato.caller.post(
        f"/inquiries/{inquiry_id}/replies/draft", {"template_id": template["template_id"]}
    )
    assert drafted.status == 200, await drafted.text()
    text = (await drafted.json())["text"]
    assert text == (
        f"Dear Da Nang, about Smart parking vendors: Sato Ken answers by {hanoi} "
        "(Asia/Ho_Chi_Minh)."
    )
    japanese = await sato.caller.post(
        f"/inquiries/{inquiry_id}/replies/draft",
        {"template_id": template["template_id"], "language": "ja"},
    )
    assert (await japanese.json())["text"] == "Da Nang 様 「Smart parking vendors」"

    as_drafted = await sato.caller.post(
        f"/inquiries/{inquiry_id}/replies", {"template_id": template["template_id"]}
    )
    assert as_drafted.status == 201, await as_drafted.text()
    assert (await as_drafted.json())["body"] == text
    edited = await sato.caller.post(
        f"/inquiries/{inquiry_id}/replies",
        {"template_id": template["template_id"], "body": text + " Regards."},
    )
    assert (await edited.json())["body"] == text + " Regards."
    messages = (await (await sato.caller.get(f"/inquiries/{inquiry_id}/messages")).json())["items"]
    assert [m["template_id"] for m in messages] == [template["template_id"]] * 2


async def test_unknown_placeholders_and_missing_texts_are_422s_naming_them(
    vn_desk: Caller,
) -> None:
    bad = await vn_desk.post(
        "/answer-templates", {"name": "x", "texts": {"en": "Hi {requester}", "ja": "{subject}"}}
    )
    assert bad.status == 422
    field, message = _field_of(await bad.json())
    assert field == "body.texts.en" and "{requester}" in message
    reach = await vn_desk.post("/answer-templates", {"name": "x", "texts": {"en": "{0.__class__}"}})
    assert _field_of(await reach.json())[0] == "body.texts.en"
    unknown_language = await vn_desk.post("/answer-templates", {"name": "x", "texts": {"fr": "a"}})
    assert _field_of(await unknown_language.json())[0].startswith("body.texts")
    nothing = await vn_desk.post("/answer-templates", {"name": "x", "texts": {}})
    assert _field_of(await nothing.json())[0] == "body.texts"

    template = await _created(vn_desk, texts={"en": "Hello {officer}"})
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    no_local = await vn_desk.post(
        f"/inquiries/{inquiry_id}/replies/draft",
        {"template_id": template["template_id"], "language": "local"},
    )
    assert no_local.status == 422
    assert _field_of(await no_local.json())[0] == "body.language"
    unknown = await vn_desk.post(f"/inquiries/{inquiry_id}/replies", {"template_id": "nope"})
    assert (unknown.status, _field_of(await unknown.json())[0]) == (422, "body.template_id")
    empty = await vn_desk.post(f"/inquiries/{inquiry_id}/replies", {})
    assert empty.status == 422
    assert (await (await vn_desk.get(f"/inquiries/{inquiry_id}/messages")).json())["items"] == []


async def test_another_desks_templates_do_not_exist_for_a_desk(
    inquiries: TestClient[Any, Any], vn_desk: Caller, th_desk: Caller, operator: Caller
) -> None:
    template = await _created(vn_desk, texts={"en": "Hello {requester_name}"})
    one = f"/answer-templates/{template['template_id']}"
    assert (await th_desk.get(one)).status == 404
    assert (await th_desk.put(one, {"name": "mine now", "texts": {"en": "x"}})).status == 404
    assert (await th_desk.delete(one)).status == 404
    listed = (await (await th_desk.get("/answer-templates")).json())["items"]
    assert template["template_id"] not in [t["template_id"] for t in listed]
    vn_listed = (await (await vn_desk.get("/answer-templates")).json())["items"]
    assert [t["template_id"] for t in vn_listed] == [template["template_id"]]
    for_vn = await th_desk.post("/answer-templates", {"name": "x", "country": "VN", "texts": TEXTS})
    assert (for_vn.status, (await for_vn.json())["field"]) == (403, "body.country")
    thai = (await submitted(th_desk, **THAI))["inquiry_id"]
    used = await th_desk.post(
        f"/inquiries/{thai}/replies/draft", {"template_id": template["template_id"]}
    )
    assert (used.status, _field_of(await used.json())[0]) == (422, "body.template_id")
    assert (await operator.get(one)).status == 200  # staff read every desk's
    assert (await operator.post("/answer-templates", {"name": "x", "texts": TEXTS})).status == 403
    city = await granted(inquiries, "city:da-nang")
    assert (await city.get("/answer-templates")).status == 403


async def test_a_queue_template_of_no_desk_is_kept_by_admins_and_applies_to_its_queue(
    vn_desk: Caller, th_desk: Caller, admin: Caller
) -> None:
    template = await _created(admin, queue="jbic-join-liaison", texts={"en": "Loans: {subject}"})
    assert template["country"] is None
    for desk in (vn_desk, th_desk):
        listed = (await (await desk.get("/answer-templates")).json())["items"]
        assert [t["template_id"] for t in listed] == [template["template_id"]]
    one = f"/answer-templates/{template['template_id']}"
    assert (await vn_desk.put(one, {"name": "x", "texts": TEXTS})).status == 403
    financing = (await submitted(vn_desk, category="financing"))["inquiry_id"]  # → jbic-join
    other = (await submitted(vn_desk))["inquiry_id"]  # → desk-vn
    wanted = {"template_id": template["template_id"]}
    drafted = await vn_desk.post(f"/inquiries/{financing}/replies/draft", wanted)
    assert (await drafted.json())["text"] == "Loans: Smart parking vendors"
    elsewhere = await vn_desk.post(f"/inquiries/{other}/replies/draft", wanted)
    assert (elsewhere.status, _field_of(await elsewhere.json())[0]) == (422, "body.template_id")
    unknown_queue = await admin.post(
        "/answer-templates", {"name": "x", "queue": "nowhere", "texts": TEXTS}
    )
    assert _field_of(await unknown_queue.json())[0] == "body.queue"


async def test_the_requester_side_writes_its_own_replies(
    inquiries: TestClient[Any, Any], vn_desk: Caller
) -> None:
    template = await _created(vn_desk, texts=TEXTS)
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    relayed = await vn_desk.post(
        f"/inquiries/{inquiry_id}/replies",
        {"template_id": template["template_id"], "from_requester": True},
    )
    assert (relayed.status, _field_of(await relayed.json())[0]) == (422, "body.template_id")
    city = await granted(inquiries, "city:da-nang")
    drafted = await city.post(
        f"/inquiries/{inquiry_id}/replies/draft", {"template_id": template["template_id"]}
    )
    assert drafted.status == 403


async def test_each_template_change_is_audited_with_the_person_and_published(
    inquiries: TestClient[Any, Any], settings: ServiceSettings, operator: Caller
) -> None:
    sato = await person(inquiries, "Sato Ken", "desk:VN")
    template = await _created(sato.caller, texts=TEXTS)
    one = f"/answer-templates/{template['template_id']}"
    replaced = await sato.caller.put(one, {"name": "Renamed", "texts": {"en": "{subject}"}})
    assert (replaced.status, (await replaced.json())["version"]) == (200, 2)
    assert (await sato.caller.delete(one)).status == 204
    assert (await sato.caller.get(one)).status == 404

    query = {"setting": "answer_template"}
    changes = (await (await operator.get("/configuration/history", **query)).json())["items"]
    assert [(c["before"] is None, c["after"] is None) for c in changes] == [
        (False, True),
        (False, False),
        (True, False),
    ]  # newest first: deleted, replaced, created
    assert {(c["by"], c["by_person"]["name"], c["key"]) for c in changes} == {
        ("desk:VN", "Sato Ken", template["template_id"])
    }
    events = await configuration_changes(settings, template["template_id"], 3)
    assert [e["after"] and e["after"]["name"] for e in events] == ["First contact", "Renamed", None]
    assert {e["by_person"]["name"] for e in events} == {"Sato Ken"}
