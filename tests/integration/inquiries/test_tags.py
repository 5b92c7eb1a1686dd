"""Tags: a managed list per desk with normalised names; staff tag inquiries with their
desk's tags, filter by them, route by them and tag many at once; all audited."""

from typing import Any

from aiohttp.test_utils import TestClient

from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.inquiries.conftest import THAI, history_types, submitted
from tests.support import Caller, eventually, granted, person, read_topic

VN_TAGS = {
    "tags": [
        {"name": "Flood Control"},
        {"name": "JBIC loan", "queue": "jbic-join-liaison"},
        {"name": "smart_parking"},
    ],
    "version": 0,
}


async def _listed(caller: Caller, country: str, tags: dict[str, Any]) -> dict[str, Any]:
    response = await caller.put(f"/tags/{country}", tags)
    assert response.status == 200, await response.text()
    saved: dict[str, Any] = await response.json()
    return saved


def _field(answer: dict[str, Any]) -> tuple[str, str]:
    return answer["errors"][0]["field"], answer["errors"][0]["message"]


async def test_a_desk_keeps_its_own_tag_list_with_normalised_names(
    inquiries: TestClient[Any, Any], vn_desk: Caller, th_desk: Caller, operator: Caller
) -> None:
    assert await (await vn_desk.get("/tags/VN")).json() == {"tags": [], "version": 0}
    sato = await person(inquiries, "Sato Ken", "desk:VN")
    saved = await _listed(sato.caller, "VN", VN_TAGS)
    assert [t["name"] for t in saved["tags"]] == ["flood-control", "jbic-loan", "smart-parking"]
    assert saved["version"] == 1
    assert (await vn_desk.put("/tags/VN", VN_TAGS)).status == 409  # version 0 is stale
    twice = {"tags": [{"name": "Flood control"}, {"name": "flood-control"}], "version": 1}
    refused = await vn_desk.put("/tags/VN", twice)
    assert (refused.status, _field(await refused.json())[0]) == (422, "body.tags")
    nowhere = {"tags": [{"name": "x", "queue": "nowhere"}], "version": 1}
    refused = await vn_desk.put("/tags/VN", nowhere)
    assert (refused.status, _field(await refused.json())[0]) == (422, "body.tags.0.queue")
    other_desks = await th_desk.get("/tags/VN")
    assert (other_desks.status, (await other_desks.json())["field"]) == (403, "path.country")
    assert (await th_desk.put("/tags/VN", {**VN_TAGS, "version": 1})).status == 403
    assert (await operator.put("/tags/VN", {**VN_TAGS, "version": 1})).status == 403
    assert (await (await operator.get("/tags/VN")).json())["version"] == 1
    assert (await (await th_desk.get("/tags/TH")).json())["tags"] == []
    history = await operator.get("/configuration/history", setting="tags")
    changes = (await history.json())["items"]
    assert [(c["key"], c["by"], c["by_person"]["name"]) for c in changes] == [
        ("VN", "desk:VN", "Sato Ken")
    ]


async def test_staff_tag_an_inquiry_only_with_its_desks_tags_and_each_change_is_recorded(
    inquiries: TestClient[Any, Any], settings: ServiceSettings, vn_desk: Caller, th_desk: Caller
) -> None:
    await _listed(vn_desk, "VN", VN_TAGS)
    await _listed(th_desk, "TH", {"tags": [{"name": "smart-grid"}], "version": 0})
    sato = await person(inquiries, "Sato Ken", "desk:VN")
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    path = f"/inquiries/{inquiry_id}/tags"

    tagged = await sato.caller.post(path, {"add": ["Flood control", "smart-parking"]})
    assert tagged.status == 200, await tagged.text()
    assert (await tagged.json())["tags"] == ["flood-control", "smart-parking"]
    thai_tag = await sato.caller.post(path, {"add": ["smart-parking", "smart-grid"]})
    assert thai_tag.status == 422
    field, message = _field(await thai_tag.json())
    assert field == "body.add.1" and "smart-grid" in message
    assert (await th_desk.post(path, {"add": ["smart-grid"]})).status == 404
    untagged = await sato.caller.post(path, {"remove": ["flood-control"]})
    assert (await untagged.json())["tags"] == ["smart-parking"]
    empty = await sato.caller.post(path, {})
    assert (empty.status, _field(await empty.json())[0]) == (422, "body")

    history = (await (await vn_desk.get(f"/inquiries/{inquiry_id}/history")).json())["items"]
    changes = [e for e in history if e["type"] == "jamp.inquiry.tags_changed.v1"]
    assert [(e["data"]["added"], e["data"]["removed"]) for e in changes] == [
        (["flood-control", "smart-parking"], []),
        ([], ["flood-control"]),
    ]
    assert {e["by"]["name"] for e in changes} == {"Sato Ken"}
    topic = Topics(settings.topic_prefix).of("inquiries")

    async def published() -> list[dict[str, Any]] | None:
        envelopes = [Envelope.from_bytes(r.value) for r in await read_topic(settings, topic, 1)]
        found = [e.data for e in envelopes if e.type == "jamp.inquiry.tags_changed.v1"]
        return found if len(found) == 2 else None

    assert [e["tags"] for e in await eventually(published)] == [
        ["flood-control", "smart-parking"],
        ["smart-parking"],
    ]
    city = await granted(inquiries, "city:da-nang")
    assert (await (await city.get(f"/inquiries/{inquiry_id}")).json())["tags"] == []
    filtered = await city.get("/inquiries", tag="smart-parking")
    assert (filtered.status, _field(await filtered.json())[0]) == (422, "query.tag")


async def test_lists_filter_by_any_of_several_tags_within_the_callers_scope(
    vn_desk: Caller, th_desk: Caller, operator: Caller
) -> None:
    await _listed(vn_desk, "VN", VN_TAGS)
    await _listed(th_desk, "TH", {"tags": [{"name": "flood-control"}], "version": 0})
    flood, parking, plain = [(await submitted(vn_desk))["inquiry_id"] for _ in range(3)]
    thai = (await submitted(th_desk, **THAI))["inquiry_id"]
    await vn_desk.post(f"/inquiries/{flood}/tags", {"add": ["flood-control"]})
    await vn_desk.post(f"/inquiries/{parking}/tags", {"add": ["smart-parking"]})
    await th_desk.post(f"/inquiries/{thai}/tags", {"add": ["flood-control"]})

    both = [("tag", "flood-control"), ("tag", "Smart Parking")]
    assert plain in await _ids_of(vn_desk, [])
    assert await _ids_of(vn_desk, both) == {flood, parking}
    assert await _ids_of(vn_desk, [("tag", "flood-control")]) == {flood}
    assert await _ids_of(operator, [("tag", "flood-control")]) >= {flood, thai}
    assert await _ids_of(th_desk, [("tag", "flood-control")]) == {thai}


async def _ids_of(caller: Caller, query: list[tuple[str, str]]) -> set[str]:
    headers = {"Authorization": f"Bearer {caller.key}"}
    response = await caller.client.get("/inquiries", params=query, headers=headers)
    assert response.status == 200, await response.text()
    return {item["inquiry_id"] for item in (await response.json())["items"]}


async def test_a_tag_that_names_a_queue_moves_the_inquiry_there(vn_desk: Caller) -> None:
    await _listed(vn_desk, "VN", VN_TAGS)
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    assert (await (await vn_desk.get(f"/inquiries/{inquiry_id}")).json())["queue"] == "desk-vn"
    moved = await vn_desk.post(f"/inquiries/{inquiry_id}/tags", {"add": ["jbic-loan"]})
    assert (await moved.json())["queue"] == "jbic-join-liaison"
    history = (await (await vn_desk.get(f"/inquiries/{inquiry_id}/history")).json())["items"]
    triage = [e["data"] for e in history if e["type"] == "jamp.inquiry.triaged.v1"]
    assert triage[-1] == {
        "inquiry_id": inquiry_id,
        "queue": "jbic-join-liaison",
        "rule": "tag:jbic-loan",
    }


async def test_a_bulk_tag_tags_each_alone_and_names_the_refusals(
    vn_desk: Caller, th_desk: Caller
) -> None:
    await _listed(vn_desk, "VN", VN_TAGS)
    first, second = [(await submitted(vn_desk))["inquiry_id"] for _ in range(2)]
    thai = (await submitted(th_desk, **THAI))["inquiry_id"]
    body = {"inquiry_ids": [first, thai, second], "tag": {"add": ["Flood Control"]}}
    answer = await (await vn_desk.post("/inquiries/bulk", body)).json()
    assert (answer["succeeded"], answer["failed"]) == (2, 1)
    assert answer["items"][1]["problem"] == 404
    for inquiry_id in (first, second):
        current = await (await vn_desk.get(f"/inquiries/{inquiry_id}")).json()
        assert current["tags"] == ["flood-control"]
        assert (await history_types(vn_desk, inquiry_id)).count("tags_changed") == 1
    unlisted = {"inquiry_ids": [first], "tag": {"add": ["no-such-tag"]}}
    refused = (await (await vn_desk.post("/inquiries/bulk", unlisted)).json())["items"][0]
    assert (refused["problem"], "no-such-tag" in refused["detail"]) == (422, True)
