"""Drafting and editing a proposal: what is stored, who may, and bad input."""

import json
from typing import Any

from aiohttp.test_utils import TestClient

from shared.settings import ServiceSettings
from tests.integration.proposals.flows import draft, proposal_body, published, stored, walk_to
from tests.support import Caller, granted


class TestDrafting:
    async def test_a_city_drafts_its_own_proposal(self, da_nang: Caller) -> None:
        response = await da_nang.post("/proposals", proposal_body())
        assert response.status == 201
        proposal = await response.json()
        assert proposal["status"] == "draft" and proposal["version"] == 1
        assert proposal["city_id"] == "da-nang" and proposal["country"] == "VN"
        assert response.headers["Location"] == f"/proposals/{proposal['proposal_id']}"
        assert response.headers["ETag"] == '"1"'
        assert proposal["financing_hint"]["fitting"][0]["route"] == "smart_jamp_study"

    async def test_an_admin_drafts_on_a_citys_behalf(self, admin: Caller) -> None:
        proposal = await draft(admin, city_id="bangkok")
        assert (proposal["city_id"], proposal["country"]) == ("bangkok", "TH")

    async def test_a_city_may_not_draft_for_another_city(
        self, da_nang: Caller, settings: ServiceSettings
    ) -> None:
        response = await da_nang.post("/proposals", proposal_body(city_id="hanoi"))
        assert (response.status, (await response.json())["field"]) == (403, "body.city_id")
        assert await stored(settings, "proposals") == 0

    async def test_a_draft_is_announced_with_its_history_entry(
        self, da_nang: Caller, settings: ServiceSettings
    ) -> None:
        proposal = await draft(da_nang)
        history = await (await da_nang.get(f"/proposals/{proposal['proposal_id']}/history")).json()
        [entry] = history["entries"]
        assert (entry["action"], entry["to_status"], entry["by"]) == (
            "draft",
            "draft",
            "city:da-nang",
        )
        assert await published(settings, "jamp.proposal.drafted.v1") == 1


class TestBadInput:
    async def _refused(
        self, caller: Caller, settings: ServiceSettings, body: Any, status: int = 422
    ) -> dict[str, Any]:
        response = await caller.post("/proposals", body)
        assert response.status == status, await response.text()
        assert response.content_type == "application/problem+json"
        assert await stored(settings, "proposals") == 0
        assert await published(settings, "jamp.proposal.drafted.v1") == 0
        problem: dict[str, Any] = await response.json()
        return problem

    async def test_an_unknown_city_is_named(self, admin: Caller, settings: ServiceSettings) -> None:
        problem = await self._refused(admin, settings, proposal_body(city_id="atlantis"))
        assert problem["errors"][0]["field"] == "body.city_id"
        assert "atlantis" in problem["errors"][0]["message"]

    async def test_an_unknown_tag_is_named(
        self, da_nang: Caller, settings: ServiceSettings
    ) -> None:
        problem = await self._refused(da_nang, settings, proposal_body(tags=["teleportation"]))
        assert problem["errors"][0]["field"] == "body.tags.0"

    async def test_a_budget_maximum_below_its_minimum(
        self, da_nang: Caller, settings: ServiceSettings
    ) -> None:
        budget = {"min": 900, "max": 100, "currency": "USD"}
        problem = await self._refused(da_nang, settings, proposal_body(budget=budget))
        assert problem["errors"][0]["field"] == "body.budget"
        assert "min must not exceed max" in problem["errors"][0]["message"]

    async def test_a_budget_too_large_to_be_finite_is_named(
        self, da_nang: Caller, settings: ServiceSettings
    ) -> None:
        """1e400 reads as infinity, which no event can carry: consumers dead-lettered it."""
        body = json.dumps(proposal_body(budget={"min": 1, "max": 7, "currency": "USD"}))
        headers = {**da_nang._headers(None), "Content-Type": "application/json"}
        response = await da_nang.client.post(
            "/proposals", data=body.replace('"max": 7', '"max": 1e400'), headers=headers
        )
        assert response.status == 422, await response.text()
        assert (await response.json())["errors"][0]["field"] == "body.budget.max"
        assert await stored(settings, "proposals") == 0

    async def test_a_timeline_that_ends_before_it_starts(
        self, da_nang: Caller, settings: ServiceSettings
    ) -> None:
        timeline = {"start": "2028-01-01", "end": "2027-01-01"}
        problem = await self._refused(da_nang, settings, proposal_body(timeline=timeline))
        assert problem["errors"][0]["field"] == "body.timeline"

    async def test_an_oversized_body(self, da_nang: Caller, settings: ServiceSettings) -> None:
        huge = proposal_body(description="x" * (settings.max_body_bytes + 1))
        await self._refused(da_nang, settings, huge, status=413)


class TestEditing:
    async def test_a_draft_is_edited_with_its_version(
        self, da_nang: Caller, settings: ServiceSettings
    ) -> None:
        proposal_id = (await draft(da_nang))["proposal_id"]
        response = await da_nang.patch(
            f"/proposals/{proposal_id}", {"stage": "demonstration"}, {"If-Match": '"1"'}
        )
        assert response.status == 200
        edited = await response.json()
        assert (edited["stage"], edited["version"]) == ("demonstration", 2)
        assert response.headers["ETag"] == '"2"'
        history = await (await da_nang.get(f"/proposals/{proposal_id}/history")).json()
        assert history["entries"][-1]["changed"] == ["stage"]
        assert await published(settings, "jamp.proposal.updated.v1") == 1

    async def test_a_stale_version_is_a_conflict(self, da_nang: Caller) -> None:
        proposal_id = (await draft(da_nang))["proposal_id"]
        await da_nang.patch(f"/proposals/{proposal_id}", {"title": "Second title", "version": 1})
        stale = await da_nang.patch(f"/proposals/{proposal_id}", {"title": "Third", "version": 1})
        assert stale.status == 409
        assert (await stale.json())["current_version"] == 2

    async def test_an_edit_without_a_version_is_refused(self, da_nang: Caller) -> None:
        proposal_id = (await draft(da_nang))["proposal_id"]
        assert (await da_nang.patch(f"/proposals/{proposal_id}", {"title": "New"})).status == 428

    async def test_only_a_draft_may_be_edited(self, da_nang: Caller, admin: Caller) -> None:
        proposal_id = (await draft(da_nang))["proposal_id"]
        await walk_to(admin, proposal_id, "submitted")
        response = await da_nang.patch(
            f"/proposals/{proposal_id}", {"title": "Late"}, {"If-Match": "*"}
        )
        assert response.status == 409
        assert (await response.json())["current_status"] == "submitted"

    async def test_a_bad_edit_changes_nothing(self, da_nang: Caller) -> None:
        proposal_id = (await draft(da_nang))["proposal_id"]
        bad = {"timeline": {"start": "2029-01-01", "end": "2028-01-01"}, "version": 1}
        assert (await da_nang.patch(f"/proposals/{proposal_id}", bad)).status == 422
        assert (await (await da_nang.get(f"/proposals/{proposal_id}")).json())["version"] == 1

    async def test_another_city_cannot_see_or_edit_it(
        self, da_nang: Caller, proposals: TestClient[Any, Any]
    ) -> None:
        proposal_id = (await draft(da_nang))["proposal_id"]
        hanoi = await granted(proposals, "city:hanoi")
        assert (await hanoi.get(f"/proposals/{proposal_id}")).status == 404
        edit = await hanoi.patch(f"/proposals/{proposal_id}", {"title": "Mine"}, {"If-Match": "*"})
        assert edit.status == 404
