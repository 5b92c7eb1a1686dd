"""Lists follow the proposal's life: a rejected, withdrawn or closed proposal, or a
suspended company, withdraws every open or mutual match with a reason, hides the contacts
again and cancels future meetings, each change an event; a list is offered to its companies
(and answered) only once its proposal is accepted."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from shared.contracts.companies import CompanySuspended
from shared.contracts.proposals import ProposalStatus, ProposalStatusChanged
from shared.envelope import Envelope
from shared.settings import ServiceSettings
from tests.integration.matching.conftest import Publisher, add_city, proposed
from tests.integration.matching.test_match_events import match_events
from tests.support import Caller, eventually, granted


async def mutual_with_meeting(
    matching: TestClient[Any, Any], admin: Caller, publish: Publisher
) -> tuple[dict[str, Any], dict[str, Any], Caller, Caller]:
    """A match both sides accepted, scheduled into a session next month."""
    await add_city(publish)
    match, own, city = await proposed(matching, admin, publish)
    for side in (own, city):
        assert (await side.post(f"/matches/{match['match_id']}/accept")).status == 200
    day = (datetime.now(UTC) + timedelta(days=30)).date()
    slot = {"start": f"{day}T01:00:00Z", "end": f"{day}T01:30:00Z"}
    body = {"name": "Next month", "slots": [slot], "tables": ["A"]}
    session_id = (await (await admin.post("/sessions", body)).json())["session_id"]
    [meeting] = (await (await admin.post(f"/sessions/{session_id}/schedule")).json())["meetings"]
    return match, meeting, own, city


async def events_of(settings: ServiceSettings, types: set[str], count: int) -> list[Envelope]:
    async def enough() -> list[Envelope] | None:
        found = [e for e in await match_events(settings, 1) if e.type in types]
        return found if len(found) >= count else None

    return await eventually(enough)


async def withdrawn_as_seen_by(caller: Caller, match: dict[str, Any]) -> Any:
    async def withdrawn() -> Any:
        seen = await (await caller.get(f"/matches/{match['match_id']}")).json()
        return seen if seen["status"] == "withdrawn" else None

    return await eventually(withdrawn)


class TestCascades:
    @pytest.mark.parametrize("status", ["rejected", "withdrawn", "closed"])
    async def test_a_proposal_that_leaves_matching_withdraws_mutual_matches_and_meetings(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        settings: ServiceSettings,
        status: ProposalStatus,
    ) -> None:
        match, meeting, own, city = await mutual_with_meeting(matching, admin, publish)
        path = f"/matches/{match['match_id']}"
        assert (await (await own.get(path)).json())["city_contact"] is not None
        change = ProposalStatusChanged(
            proposal_id=match["proposal_id"],
            version=5,
            from_status="accepted",
            to_status=status,
            by="admin",
            reason="changed course",
        )
        await publish.send(match["proposal_id"], change)

        seen = await withdrawn_as_seen_by(own, match)
        assert seen["withdrawn_reason"] == f"proposal {status}" and seen["rank"] == 0
        assert seen["city_contact"] is None
        assert (await (await city.get(path)).json())["company_contact"] is None
        cancelled = await (await admin.get(f"/meetings/{meeting['meeting_id']}")).json()
        assert cancelled["status"] == "cancelled"
        types = {"jamp.match.withdrawn.v1", "jamp.meeting.cancelled.v1"}
        events = await events_of(settings, types, 2)
        assert {e.type for e in events} == types
        assert all(e.data["reason"] == f"proposal {status}" for e in events)

    async def test_a_suspended_company_loses_its_mutual_match_and_meeting(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        settings: ServiceSettings,
    ) -> None:
        match, meeting, own, _ = await mutual_with_meeting(matching, admin, publish)
        suspended = CompanySuspended(
            company_id=match["company_id"], version=2, by="admin", reason="sanctions"
        )
        await publish.send(match["company_id"], suspended)

        seen = await withdrawn_as_seen_by(own, match)
        assert seen["withdrawn_reason"] == "company suspended"
        cancelled = await (await admin.get(f"/meetings/{meeting['meeting_id']}")).json()
        assert cancelled["status"] == "cancelled"
        await events_of(settings, {"jamp.meeting.cancelled.v1"}, 1)


async def offered_to(own: Caller, match: dict[str, Any]) -> Any:
    async def seen() -> Any:
        response = await own.get(f"/matches/{match['match_id']}")
        return await response.json() if response.status == 200 else None

    return await eventually(seen)


class TestOfferedOnceTheProposalIsAccepted:
    async def test_a_proposal_under_review_has_a_preview_its_companies_do_not_see(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        settings: ServiceSettings,
    ) -> None:
        match, own, city = await proposed(matching, admin, publish, status="under_review")
        path, company_id = f"/matches/{match['match_id']}", match["company_id"]
        # The company: as if it did not exist (a proposal under review may yet be rejected).
        assert (await own.get(path)).status == 404
        assert (await own.post(f"{path}/accept")).status == 404
        listed = await (await own.get(f"/companies/{company_id}/matches")).json()
        assert listed["items"] == []
        # The city and the country's desk see the preview; nobody answers it yet.
        answer = await city.post(f"{path}/accept")
        assert answer.status == 409
        assert (await answer.json())["proposal_status"] == "under_review"
        assert (await (await granted(matching, "desk:VN")).get(path)).status == 200

        accepted = ProposalStatusChanged(
            proposal_id=match["proposal_id"],
            version=3,
            from_status="under_review",
            to_status="accepted",
            by="admin",
        )
        await publish.send(match["proposal_id"], accepted)

        [offered] = await events_of(settings, {"jamp.match.offered.v1"}, 1)
        assert offered.data["match"]["match_id"] == match["match_id"]
        seen = await offered_to(own, match)
        assert seen["proposal"]["title"] == "Water supply network leakage reduction"
        listed = await (await own.get(f"/companies/{company_id}/matches")).json()
        assert [item["match_id"] for item in listed["items"]] == [match["match_id"]]
        assert (await own.post(f"{path}/accept")).status == 200

    async def test_a_match_entering_an_accepted_proposals_list_is_offered_as_it_enters(
        self,
        matching: TestClient[Any, Any],
        admin: Caller,
        publish: Publisher,
        settings: ServiceSettings,
    ) -> None:
        match, own, _ = await proposed(matching, admin, publish, status="accepted")
        entered = ["jamp.match.proposed.v1", "jamp.match.offered.v1"]
        events = await events_of(settings, set(entered), 2)
        assert [event.type for event in events] == entered
        assert {event.subject for event in events} == {match["match_id"]}
        assert (await own.get(f"/matches/{match['match_id']}")).status == 200


class TestErrorsSayWhatToDo:
    async def test_a_decline_without_a_body_says_the_reason_is_required(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        match, own, _ = await proposed(matching, admin, publish)
        answer = await own.post(f"/matches/{match['match_id']}/decline")
        body = await answer.json()
        assert answer.status == 422 and body["detail"] == "reason is required"
        assert body["errors"][0]["field"] == "body.reason"
