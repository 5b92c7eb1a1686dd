"""The proposals service's published contracts, as served."""

from typing import Any

from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate

from tests.support import Caller


async def test_the_served_openapi_document_is_valid_and_lists_the_workflow(
    proposals: TestClient[Any, Any],
) -> None:
    document = await (await Caller(proposals, None).get("/openapi.json")).json()
    validate(document)
    steps = {path.rsplit("/", 1)[-1] for path in document["paths"] if path.count("/") == 3}
    assert steps == {
        "submit",
        "review",
        "accept",
        "reject",
        "match",
        "close",
        "withdraw",
        "history",
        "attachments",
    }
    submit = document["paths"]["/proposals/{proposal_id}/submit"]["post"]
    assert submit["requestBody"]["required"] is False
    assert submit["x-roles"] == ["admin", "city"]


async def test_the_asyncapi_document_carries_the_proposal_events(
    proposals: TestClient[Any, Any],
) -> None:
    document = await (await Caller(proposals, None).get("/asyncapi.json")).json()
    text = str(document)
    for event in (
        "city.added",
        "proposal.drafted",
        "proposal.submitted",
        "proposal.status_changed",
    ):
        assert f"jamp.{event}.v1" in text
