"""Searching proposals: filters, who sees what, and cursor pages that hold under inserts."""

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from tests.integration.proposals.flows import draft, walk_to
from tests.support import Caller, granted


async def ids(caller: Caller, **params: Any) -> set[str]:
    response = await caller.get("/proposals", limit=100, **params)
    assert response.status == 200, await response.text()
    return {proposal["proposal_id"] for proposal in (await response.json())["items"]}


async def submitted(admin: Caller, **changes: Any) -> str:
    proposal_id: str = (await draft(admin, **changes))["proposal_id"]
    await walk_to(admin, proposal_id, "submitted")
    return proposal_id


async def test_each_filter_narrows_the_list(admin: Caller) -> None:
    flood = await submitted(admin, title="Flood sensors for the Han river")
    bus = await submitted(
        admin,
        city_id="bangkok",
        title="Bus priority corridors",
        focus_areas=["built_infrastructure"],
        tags=["public_transport", "its_traffic"],
        stage="implementation",
        financing=["jbic_loan", "oda"],
        budget={"min": 50_000_000, "max": 120_000_000, "currency": "USD"},
        description="Dedicated lanes and signal priority for the city's busiest bus routes.",
    )
    reviewed = (await draft(admin, city_id="hanoi", title="Hanoi flood control plan"))[
        "proposal_id"
    ]
    await walk_to(admin, reviewed, "under_review")
    assert await ids(admin, city="bangkok") == {bus}
    assert await ids(admin, country="VN") == {flood, reviewed}
    assert await ids(admin, focus_area="built_infrastructure") == {bus}
    assert await ids(admin, tag=["public_transport", "its_traffic"]) == {bus}
    assert await ids(admin, tag=["public_transport", "flood_control"]) == set()
    assert await ids(admin, stage="implementation") == {bus}
    assert await ids(admin, financing="oda") == {bus}
    assert await ids(admin, status="under_review") == {reviewed}
    assert await ids(admin, q="flood") == {flood, reviewed}
    assert await ids(admin, q="han river") == {flood}


async def test_a_thai_word_finds_a_thai_title(admin: Caller) -> None:
    warning = await submitted(admin, city_id="bangkok", title="ระบบเตือนภัยน้ำท่วมกรุงเทพ")
    assert await ids(admin, q="น้ำท่วม") == {warning}  # flood, inside the title's one run
    assert await ids(admin, q="ไฟฟ้า") == set()


async def test_callers_see_only_what_their_role_allows(
    proposals: TestClient[Any, Any], da_nang: Caller, admin: Caller
) -> None:
    own_draft = (await draft(da_nang))["proposal_id"]
    own_submitted = await submitted(admin)
    bangkok = await submitted(admin, city_id="bangkok")
    bangkok_draft = (await draft(admin, city_id="bangkok"))["proposal_id"]
    operator = await granted(proposals, "operator")
    assert await ids(da_nang) == {own_draft, own_submitted}
    assert await ids(await granted(proposals, "desk:VN")) == {own_submitted}
    assert await ids(await granted(proposals, "desk:TH")) == {bangkok}
    assert await ids(operator) == {own_submitted, bangkok}
    assert await ids(operator, status="draft") == set()
    assert await ids(admin) == {own_draft, own_submitted, bangkok, bangkok_draft}
    assert await ids(da_nang, city="bangkok") == set()


async def test_pages_hold_every_proposal_once_while_new_ones_arrive(admin: Caller) -> None:
    existing = [(await draft(admin, title=f"Existing {n}"))["proposal_id"] for n in range(7)]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page, _ = await asyncio.gather(
            admin.get("/proposals", **params), draft(admin, title="Arrived meanwhile")
        )
        body = await page.json()
        seen += [proposal["proposal_id"] for proposal in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert len(seen) == len(set(seen)), "a proposal appeared on two pages"
    assert set(existing) <= set(seen)
    assert seen.index(existing[-1]) < seen.index(existing[0]), "newest first"


async def test_bad_filters_and_cursors_are_named(admin: Caller) -> None:
    for params, field in (
        ({"stage": "dreaming"}, "query.stage"),
        ({"tag": "teleportation"}, "query.tag.0"),
        ({"cursor": "not-a-cursor"}, "query.cursor"),
        ({"colour": "red"}, "query.colour"),
    ):
        response = await admin.get("/proposals", **params)
        assert response.status == 422, params
        assert (await response.json())["errors"][0]["field"] == field
