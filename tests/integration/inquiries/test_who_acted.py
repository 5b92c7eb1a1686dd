"""Every change names the person who made it, beside the grant: two consuls of one desk are
told apart on ``jamp.inquiries.v1``, in the stored inquiry and in the desk's templates, as
they are in the history."""

from typing import Any

from aiohttp.test_utils import TestClient

from shared.platform import PLATFORM
from tests.integration.inquiries.conftest import submitted
from tests.support import granted, outbox_events, person


async def _ok(answer: Any) -> dict[str, Any]:
    response = await answer
    assert response.status in (200, 201), await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def test_each_change_on_the_stream_names_the_consul_who_made_it(
    inquiries: TestClient[Any, Any],
) -> None:
    sato = await person(inquiries, "Consul Sato", "desk:VN")
    hoa = await person(inquiries, "Consul Hoa", "desk:VN")
    await _ok(hoa.caller.put("/tags/VN", {"tags": [{"name": "flood-control"}], "version": 0}))
    first = (await submitted(sato.caller))["inquiry_id"]
    other = (await submitted(sato.caller))["inquiry_id"]
    at = f"/inquiries/{first}"
    await _ok(hoa.caller.post(f"{at}/assign", {"officer": sato.person_id}))
    await _ok(sato.caller.post(f"{at}/notes", {"body": "Called the city."}))
    await _ok(sato.caller.post(f"{at}/replies", {"body": "Here is the answer."}))
    await _ok(hoa.caller.patch(at, {"priority": "high"}, headers={"If-Match": "*"}))
    await _ok(hoa.caller.post(f"{at}/tags", {"add": ["flood-control"]}))
    await _ok(hoa.caller.post(f"{at}/links", {"inquiry_id": other}))
    await _ok(sato.caller.post(f"/inquiries/{other}/merge", {"into": first}))
    await _ok(hoa.caller.post(f"{at}/close", {}))

    published = await outbox_events(inquiries.app[PLATFORM].outbox.collection)
    acted = [
        envelope
        for envelope in published
        if envelope.type.startswith("jamp.inquiry.")
        and ({"by", "author"} & envelope.data.keys() or "submitted" in envelope.type)
    ]
    people = {sato.person_id: "Consul Sato", hoa.person_id: "Consul Hoa"}
    named = []
    for envelope in acted:
        by = envelope.data["by_person"]
        grant = envelope.data.get("by") or envelope.data.get("author") or "desk:VN"
        assert (by["grant"], grant, people[by["person_id"]]) == ("desk:VN", "desk:VN", by["name"])
        kind = envelope.type.removeprefix("jamp.inquiry.").removesuffix(".v1")
        named.append((kind, by["name"].removeprefix("Consul ")))
    assert named == [
        ("submitted", "Sato"),
        ("submitted", "Sato"),
        ("assigned", "Hoa"),
        ("status_changed", "Hoa"),  # triaged → assigned
        ("noted", "Sato"),
        ("replied", "Sato"),
        ("status_changed", "Sato"),  # → answered
        ("updated", "Hoa"),
        ("tags_changed", "Hoa"),
        ("linked", "Hoa"),
        ("merged", "Sato"),
        ("status_changed", "Sato"),  # the duplicate closed
        ("status_changed", "Hoa"),  # closed
    ]


async def test_the_inquiry_and_a_template_keep_the_person_beside_the_grant(
    inquiries: TestClient[Any, Any],
) -> None:
    sato = await person(inquiries, "Consul Sato", "desk:VN")
    city = await granted(inquiries, "city:da-nang")
    inquiry_id = (await submitted(sato.caller))["inquiry_id"]
    shown = await _ok(sato.caller.get(f"/inquiries/{inquiry_id}"))
    assert shown["submitted_by"] == "desk:VN"
    assert shown["submitted_by_person"]["person_id"] == sato.person_id
    assert shown["submitted_by_person"]["name"] == "Consul Sato"
    # The requester side sees the desk, not the person behind its key.
    theirs = await _ok(city.get(f"/inquiries/{inquiry_id}"))
    assert (theirs["submitted_by"], theirs["submitted_by_person"]) == ("desk:VN", None)

    template = {"name": "First contact", "texts": {"en": "Dear {requester_name},"}}
    created = await _ok(sato.caller.post("/answer-templates", template))
    read = await _ok(sato.caller.get(f"/answer-templates/{created['template_id']}"))
    for kept in (created, read):
        assert kept["updated_by"] == "desk:VN"
        assert kept["updated_by_person"]["name"] == "Consul Sato"
        assert kept["updated_by_person"]["key_id"] == sato.caller.key_id
