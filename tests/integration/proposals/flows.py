"""Steps the proposals tests share: drafting, walking the workflow, reading what is stored."""

import copy
from typing import Any

from services.proposals.model import EXAMPLE
from shared.mongo import create_client
from shared.settings import ServiceSettings
from tests.support import Caller, outbox_events

# The steps from a fresh draft to each state, and who takes them.
PATH_TO: dict[str, list[str]] = {
    "draft": [],
    "submitted": ["submit"],
    "under_review": ["submit", "review"],
    "accepted": ["submit", "review", "accept"],
    "rejected": ["submit", "review", "reject"],
    "matched": ["submit", "review", "accept", "match"],
    "closed": ["submit", "review", "accept", "match", "close"],
    "withdrawn": ["withdraw"],
}


def proposal_body(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(EXAMPLE), **changes}


async def draft(caller: Caller, **changes: Any) -> dict[str, Any]:
    response = await caller.post("/proposals", proposal_body(**changes))
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    return created


async def step(caller: Caller, proposal_id: str, action: str, reason: str | None = None) -> Any:
    body = {"reason": reason or f"test: {action}"} if action in ("reject", "withdraw") else None
    return await caller.post(f"/proposals/{proposal_id}/{action}", body)


async def walk_to(admin: Caller, proposal_id: str, state: str) -> None:
    for action in PATH_TO[state]:
        response = await step(admin, proposal_id, action)
        assert response.status == 200, await response.text()


async def published(settings: ServiceSettings, event_type: str) -> int:
    """Events of ``event_type`` in the proposals service's outbox."""
    client = create_client(settings.mongodb_uri)
    try:
        outbox = client[settings.database_name("proposals")]["outbox"]
        return len(await outbox_events(outbox, event_type))
    finally:
        await client.close()


async def stored(settings: ServiceSettings, collection: str, **criteria: Any) -> int:
    client = create_client(settings.mongodb_uri)
    try:
        database = client[settings.database_name("proposals")]
        return await database[collection].count_documents(criteria)
    finally:
        await client.close()
