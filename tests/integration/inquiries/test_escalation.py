"""Escalation per queue: a warning tells the assignee, a breach moves the inquiry."""

from typing import Any

from aiohttp.test_utils import TestClient

from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.inquiries.conftest import THAI, ManualClock, history_types, submitted
from tests.support import Caller, eventually, person, read_topic


async def test_a_warning_notifies_the_assignee_and_a_breach_escalates(
    inquiries: TestClient[Any, Any], vn_desk: Caller, admin: Caller, clock: ManualClock
) -> None:
    sato = await person(inquiries, "Consul Sato", "desk:VN")
    lead = await person(inquiries, "Minister Ito", "admin")
    queues = await (await admin.get("/queues")).json()
    queues["queues"] = [
        {**queue, "escalate_to": "desk-leads", "supervisor": lead.person_id}
        if queue["name"] == "desk-vn"
        else queue
        for queue in queues["queues"]
    ] + [{"name": "desk-leads"}]
    saved = await admin.put("/queues", queues)
    assert saved.status == 200, await saved.text()
    inquiry_id = (await submitted(vn_desk, priority="urgent", category="regulation_permits"))[
        "inquiry_id"
    ]
    await vn_desk.post(f"/inquiries/{inquiry_id}/assign", {"officer": sato.person_id})
    clock.advance(minutes=50)
    await eventually(lambda: _has(vn_desk, inquiry_id, "assignee_notified"))
    clock.advance(minutes=15)
    await eventually(lambda: _has(vn_desk, inquiry_id, "escalated"))
    current = await (await vn_desk.get(f"/inquiries/{inquiry_id}")).json()
    assert (current["queue"], current["officer"]) == ("desk-leads", lead.person_id)
    assert current["officer_name"] == "Minister Ito"
    history = await (await vn_desk.get(f"/inquiries/{inquiry_id}/history")).json()
    escalation = next(e for e in history["items"] if e["type"].endswith("escalated.v1"))
    assert escalation["data"]["from_queue"] == "desk-vn"
    assert escalation["by"]["grant"] == "inquiries-sla-ticker"


async def test_queues_name_known_escalation_targets_and_changes_are_audited(
    admin: Caller,
) -> None:
    queues = await (await admin.get("/queues")).json()
    bad = {**queues, "queues": [*queues["queues"], {"name": "x", "escalate_to": "nowhere"}]}
    assert (await admin.put("/queues", bad)).status == 422
    dropped = {**queues, "queues": [q for q in queues["queues"] if q["name"] != "matching"]}
    refused = await admin.put("/queues", dropped)
    assert refused.status == 422  # the partner-search rule still routes there
    assert "partner search" in (await refused.json())["errors"][0]["message"]
    added = {**queues, "queues": [*queues["queues"], {"name": "desk-leads"}]}
    assert (await admin.put("/queues", added)).status == 200
    changes = await (await admin.get("/configuration/history", setting="queues")).json()
    [change] = changes["items"]
    assert change["by"] == "admin" and change["by_person"]["name"] == "test admin"
    assert len(change["after"]["queues"]) == len(change["before"]["queues"]) + 1


async def test_a_queues_people_are_published_with_the_person_who_changed_them(
    inquiries: TestClient[Any, Any], admin: Caller, settings: ServiceSettings
) -> None:
    ito = await person(inquiries, "Ito Ken", "desk:VN")
    queues = await (await admin.get("/queues")).json()
    at = next(index for index, queue in enumerate(queues["queues"]) if queue["name"] == "desk-vn")

    def staffed(*members: str) -> dict[str, Any]:
        edited = [dict(queue) for queue in queues["queues"]]
        edited[at] |= {"members": list(members), "supervisor": ito.person_id}
        return {**queues, "queues": edited}

    nobody = await admin.put("/queues", staffed(ito.person_id, "nobody"))
    assert nobody.status == 422
    assert (await nobody.json())["errors"][0]["field"] == f"body.queues.{at}.members.1"
    twice = await admin.put("/queues", staffed(ito.person_id, ito.person_id))
    assert twice.status == 422
    saved = await admin.put("/queues", staffed(ito.person_id))
    assert saved.status == 200, await saved.text()

    # One change: the audit event and the queue list as it now is, from one transaction.
    topic = Topics(settings.topic_prefix).of("inquiries")
    envelopes = [Envelope.from_bytes(r.value) for r in await read_topic(settings, topic, 2)]
    [changed] = [e for e in envelopes if e.type == "jamp.inquiry_desk.queues_changed.v1"]
    desk_vn = next(queue for queue in changed.data["queues"] if queue["name"] == "desk-vn")
    assert desk_vn["members"] == [ito.person_id] and desk_vn["supervisor"] == ito.person_id
    assert changed.data["version"] == 1 and changed.data["by"] == "admin"
    assert changed.data["by_person"]["name"] == "test admin"


async def _has(caller: Caller, inquiry_id: str, kind: str) -> bool:
    return kind in await history_types(caller, inquiry_id)


async def test_a_country_desks_own_queue_is_its_countrys_alone(
    inquiries: TestClient[Any, Any], vn_desk: Caller, th_desk: Caller, admin: Caller
) -> None:
    """No other desk sends its inquiries (and so their subjects, mailed to the queue's
    members) into a desk's own queue, and no one drops a queue inquiries are sent to."""
    thai = (await submitted(th_desk, **THAI))["inquiry_id"]
    pushed = await th_desk.post(f"/inquiries/{thai}/assign", {"queue": "desk-vn"})
    assert (pushed.status, await _field(pushed)) == (422, "body.queue")
    shared = await th_desk.post(f"/inquiries/{thai}/assign", {"queue": "matching"})
    assert shared.status == 200, await shared.text()  # a queue every desk shares

    push_tag = {"tags": [{"name": "push", "queue": "desk-vn"}], "version": 0}
    tagged = await th_desk.put("/tags/TH", push_tag)
    assert (tagged.status, await _field(tagged)) == (422, "body.tags.0.queue")

    everyone = {"rules": [{"name": "all to VN", "queue": "desk-vn"}], "version": 0}
    ruled = await admin.put("/routing-rules", everyone)
    assert (ruled.status, await _field(ruled)) == (422, "body.rules.0")

    queues = await (await admin.get("/queues")).json()
    into_vn = [{**q, "escalate_to": "desk-vn"} if q["name"] == "matching" else q
               for q in queues["queues"]]  # fmt: skip
    escalating = await admin.put("/queues", {**queues, "queues": into_vn})
    assert (escalating.status, await _field(escalating)) == (422, "body.queues")

    # The queues a desk, a rule or a tag still sends inquiries to stay on the list.
    flood = {"tags": [{"name": "flood", "queue": "vn-flood"}], "version": 0}
    queues = await (await admin.get("/queues")).json()
    listed = {**queues, "queues": [*queues["queues"], {"name": "vn-flood"}]}
    assert (await admin.put("/queues", listed)).status == 200
    assert (await vn_desk.put("/tags/VN", flood)).status == 200
    queues = await (await admin.get("/queues")).json()
    for dropped in ("vn-flood", "desk-vn"):
        kept = {**queues, "queues": [q for q in queues["queues"] if q["name"] != dropped]}
        refused = await admin.put("/queues", kept)
        assert (refused.status, await _field(refused)) == (422, "body.queues"), dropped
        assert dropped in (await refused.json())["errors"][0]["message"]


async def test_a_desk_queues_people_may_work_its_inquiries_and_are_not_named_to_others(
    inquiries: TestClient[Any, Any], th_desk: Caller, admin: Caller
) -> None:
    tina = await person(inquiries, "Tina Thai", "desk:TH")
    queues = await (await admin.get("/queues")).json()
    at = next(index for index, queue in enumerate(queues["queues"]) if queue["name"] == "desk-vn")
    edited = [dict(queue) for queue in queues["queues"]]
    edited[at] |= {"supervisor": tina.person_id}
    refused = await admin.put("/queues", {**queues, "queues": edited})
    assert (refused.status, await _field(refused)) == (422, f"body.queues.{at}.supervisor")

    victor = await person(inquiries, "Victor Nguyen", "desk:VN")
    thai = (await submitted(th_desk, **THAI))["inquiry_id"]
    assigned = await th_desk.post(f"/inquiries/{thai}/assign", {"officer": victor.person_id})
    assert (assigned.status, await _field(assigned)) == (422, "body.officer")
    assert "Victor" not in (await assigned.json())["errors"][0]["message"]


async def _field(response: Any) -> str:
    problem = await response.json()
    return str(problem["errors"][0]["field"] if "errors" in problem else problem.get("field"))
