"""The review workflow over HTTP: every step legal and illegal, its event and its history."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.proposals.workflow import Action
from shared.contracts.proposals import ProposalStatus
from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.proposals.flows import PATH_TO, draft, step, walk_to
from tests.support import Caller, person, read_topic
from tests.unit.proposals.test_workflow import ALL_PAIRS, LEGAL

REFERENCE_CITIES = 31


@pytest.mark.parametrize(("state", "action"), list(LEGAL))
async def test_each_legal_step_changes_the_state_and_records_it(
    state: ProposalStatus, action: Action, da_nang: Caller, admin: Caller
) -> None:
    proposal_id = (await draft(da_nang))["proposal_id"]
    await walk_to(admin, proposal_id, state)
    response = await step(admin, proposal_id, action, reason="because the test says so")
    assert response.status == 200, await response.text()
    assert (await response.json())["status"] == LEGAL[(state, action)]
    history = await (await admin.get(f"/proposals/{proposal_id}/history")).json()
    last = history["entries"][-1]
    assert (last["action"], last["from_status"], last["to_status"], last["by"]) == (
        action,
        state,
        LEGAL[(state, action)],
        "admin",
    )


@pytest.mark.parametrize("state", list(PATH_TO))
async def test_every_other_step_is_a_409_naming_the_current_state(
    state: str, da_nang: Caller, admin: Caller
) -> None:
    proposal_id = (await draft(da_nang))["proposal_id"]
    await walk_to(admin, proposal_id, state)
    for action in [action for at, action in ALL_PAIRS if at == state and (at, action) not in LEGAL]:
        response = await step(admin, proposal_id, action)
        assert response.status == 409, (state, action)
        assert response.content_type == "application/problem+json"
        assert (await response.json())["current_status"] == state
    proposal = await (await admin.get(f"/proposals/{proposal_id}")).json()
    assert proposal["status"] == state
    assert proposal["version"] == 1 + len(PATH_TO[state])


async def test_rejecting_and_withdrawing_need_a_reason(da_nang: Caller, admin: Caller) -> None:
    proposal_id = (await draft(da_nang))["proposal_id"]
    response = await da_nang.post(f"/proposals/{proposal_id}/withdraw", {})
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "body.reason"
    await walk_to(admin, proposal_id, "under_review")
    assert (await admin.post(f"/proposals/{proposal_id}/reject", {})).status == 422


async def test_a_city_submits_and_withdraws_its_own_proposal(da_nang: Caller) -> None:
    proposal_id = (await draft(da_nang))["proposal_id"]
    assert (await step(da_nang, proposal_id, "submit")).status == 200
    withdrawn = await step(da_nang, proposal_id, "withdraw", reason="budget moved to 2028")
    assert (await withdrawn.json())["status"] == "withdrawn"


async def test_the_whole_review_is_published_in_order_with_who_and_why(
    da_nang: Caller, admin: Caller, settings: ServiceSettings
) -> None:
    proposal_id = (await draft(da_nang, title="Smart bus shelters"))["proposal_id"]
    await step(da_nang, proposal_id, "submit")
    for action in PATH_TO["closed"][1:]:  # the city submitted; the admin takes the rest
        assert (await step(admin, proposal_id, action)).status == 200
    records = await read_topic(settings, Topics(settings.topic_prefix).of("proposals"), 37)
    ours = [record for record in records if record.key == proposal_id.encode()]
    envelopes = [Envelope.from_bytes(record.value) for record in ours]
    assert [envelope.type for envelope in envelopes] == [
        "jamp.proposal.drafted.v1",
        "jamp.proposal.submitted.v1",
        *["jamp.proposal.status_changed.v1"] * 4,
    ]
    assert all(
        envelope.source == "proposals" and envelope.subject == proposal_id for envelope in envelopes
    )
    submitted = envelopes[1].data
    assert submitted["by"] == "city:da-nang"
    assert submitted["proposal"]["title"] == "Smart bus shelters"
    assert submitted["proposal"]["status"] == "submitted"
    changes = [(e.data["from_status"], e.data["to_status"], e.data["by"]) for e in envelopes[2:]]
    assert changes == [
        ("submitted", "under_review", "admin"),
        ("under_review", "accepted", "admin"),
        ("accepted", "matched", "admin"),
        ("matched", "closed", "admin"),
    ]
    assert envelopes[-1].data["version"] == 6


async def test_a_rejection_carries_its_reason_into_event_and_history(
    da_nang: Caller, admin: Caller, settings: ServiceSettings
) -> None:
    proposal_id = (await draft(da_nang))["proposal_id"]
    await walk_to(admin, proposal_id, "under_review")
    await step(admin, proposal_id, "reject", reason="outside ASCN focus areas")
    records = await read_topic(settings, Topics(settings.topic_prefix).of("proposals"), 35)
    last: dict[str, Any] = Envelope.from_bytes(records[-1].value).data
    assert (last["to_status"], last["reason"]) == ("rejected", "outside ASCN focus areas")
    history = await (await da_nang.get(f"/proposals/{proposal_id}/history")).json()
    assert [entry["action"] for entry in history["entries"]] == [
        "draft",
        "submit",
        "review",
        "reject",
    ]
    assert history["entries"][-1]["reason"] == "outside ASCN focus areas"


async def test_a_review_decision_records_the_person_beside_the_grant(
    proposals: TestClient[Any, Any], da_nang: Caller
) -> None:
    reviewer = await person(proposals, "Director Kato", "admin")
    proposal_id = (await draft(da_nang))["proposal_id"]
    await walk_to(reviewer.caller, proposal_id, "under_review")
    accepted = await reviewer.caller.post(f"/proposals/{proposal_id}/accept", {})
    assert accepted.status == 200
    history = await (await da_nang.get(f"/proposals/{proposal_id}/history")).json()
    decision = history["entries"][-1]
    assert (decision["action"], decision["by"]) == ("accept", "admin")
    assert decision["by_person"] == {
        "grant": "admin",
        "person_id": reviewer.person_id,
        "name": "Director Kato",
        "key_id": reviewer.caller.key_id,
    }
    drafted = history["entries"][0]
    assert drafted["by_person"]["name"] == "test city:da-nang"  # a key without a person
