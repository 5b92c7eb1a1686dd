"""Visibility follows "was submitted", not the current status: a draft withdrawn before it
was ever submitted stays private to its city (and admins), wherever it is read."""

from typing import Any

from aiohttp.test_utils import TestClient

from services.proposals.app import create_app
from shared.mongo import create_client
from shared.settings import ServiceSettings
from tests.integration.proposals.flows import draft, step
from tests.support import Caller, granted, serving


async def withdrawn(caller: Caller, *, submitted_first: bool) -> str:
    proposal_id: str = (await draft(caller))["proposal_id"]
    if submitted_first:
        assert (await step(caller, proposal_id, "submit")).status == 200
    response = await step(caller, proposal_id, "withdraw", reason="the council said no")
    assert response.status == 200, await response.text()
    return proposal_id


async def listed(caller: Caller, **params: Any) -> set[str]:
    response = await caller.get("/proposals", limit=100, **params)
    assert response.status == 200, await response.text()
    return {proposal["proposal_id"] for proposal in (await response.json())["items"]}


async def test_a_draft_withdrawn_unsubmitted_stays_hidden_from_desks_and_operators(
    proposals: TestClient[Any, Any], da_nang: Caller, admin: Caller
) -> None:
    proposal_id = await withdrawn(da_nang, submitted_first=False)
    for grant in ("desk:VN", "operator"):
        caller = await granted(proposals, grant)
        assert (await caller.get(f"/proposals/{proposal_id}")).status == 404, grant
        assert (await caller.get(f"/proposals/{proposal_id}/history")).status == 404, grant
        assert proposal_id not in await listed(caller), grant
        assert proposal_id not in await listed(caller, status="withdrawn"), grant
    for owner in (da_nang, admin):
        assert (await owner.get(f"/proposals/{proposal_id}")).status == 200
        assert proposal_id in await listed(owner, status="withdrawn")


async def test_a_proposal_withdrawn_after_submission_stays_visible(
    proposals: TestClient[Any, Any], da_nang: Caller
) -> None:
    proposal_id = await withdrawn(da_nang, submitted_first=True)
    for grant in ("desk:VN", "operator"):
        caller = await granted(proposals, grant)
        response = await caller.get(f"/proposals/{proposal_id}")
        assert response.status == 200, grant
        assert (await response.json())["submitted_at"] is not None
        assert (await caller.get(f"/proposals/{proposal_id}/history")).status == 200, grant
        assert proposal_id in await listed(caller, status="withdrawn"), grant


async def test_proposals_stored_before_submitted_at_existed_get_it_from_their_history(
    proposals: TestClient[Any, Any], da_nang: Caller, settings: ServiceSettings
) -> None:
    never = await withdrawn(da_nang, submitted_first=False)
    once = await withdrawn(da_nang, submitted_first=True)
    client = create_client(settings.mongodb_uri)
    try:
        stored = client[settings.database_name("proposals")]["proposals"]
        await stored.update_many({"_id": {"$in": [never, once]}}, {"$unset": {"submitted_at": 1}})
    finally:
        await client.close()
    async with serving(create_app, settings) as restarted:
        desk = await granted(restarted, "desk:VN")
        assert (await desk.get(f"/proposals/{never}")).status == 404
        assert (await desk.get(f"/proposals/{once}")).status == 200
        assert await listed(desk, status="withdrawn") == {once}
