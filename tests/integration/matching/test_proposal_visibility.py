"""A proposal's matches are visible beyond its city only if it was ever submitted: a draft
withdrawn as a draft stays hidden, one withdrawn after submission does not."""

from typing import Any

from aiohttp.test_utils import TestClient

from services.matching.keys import MATCHMAKER
from shared.contracts.proposals import ProposalDrafted, ProposalStatusChanged
from tests.integration.matching.conftest import Publisher, proposal, submit
from tests.support import eventually, granted


async def withdraw(
    matching: TestClient[Any, Any], publish: Publisher, proposal_id: str, version: int
) -> None:
    status = "draft" if version == 2 else "submitted"
    changed = ProposalStatusChanged(
        proposal_id=proposal_id,
        version=version,
        from_status=status,
        to_status="withdrawn",
        by="city:da-nang",
        reason="the council said no",
    )
    await publish.send(proposal_id, changed)

    async def withdrawn() -> bool:
        stored = await matching.app[MATCHMAKER].read_models.proposal(proposal_id)
        return stored is not None and stored.status == "withdrawn"

    await eventually(withdrawn)


async def test_a_draft_withdrawn_unsubmitted_has_no_matches_to_show(
    matching: TestClient[Any, Any], publish: Publisher
) -> None:
    draft = proposal(status="draft", version=1)
    await publish.send(draft.proposal_id, ProposalDrafted(proposal=draft))
    await withdraw(matching, publish, draft.proposal_id, version=2)
    for grant in ("desk:VN", "operator", "admin"):
        caller = await granted(matching, grant)
        response = await caller.get(f"/proposals/{draft.proposal_id}/matches")
        assert response.status == 404, grant


async def test_a_proposal_withdrawn_after_submission_keeps_its_matches_visible(
    matching: TestClient[Any, Any], publish: Publisher
) -> None:
    # Published as producers did before ``submitted_at`` existed: the event time stands in.
    need = proposal(status="submitted", version=2)
    assert need.submitted_at is None
    await submit(publish, need)
    await withdraw(matching, publish, need.proposal_id, version=3)
    for grant in ("desk:VN", "operator"):
        caller = await granted(matching, grant)
        response = await caller.get(f"/proposals/{need.proposal_id}/matches")
        assert response.status == 200, grant
