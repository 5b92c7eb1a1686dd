"""Escalation per queue: a warning tells the assignee, a breach moves the inquiry."""

from typing import Any

from aiohttp.test_utils import TestClient

from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.inquiries.conftest import ManualClock, history_types, submitted
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
