"""Ranking hygiene: topical evidence to enter a list, dense ranks over the open entries,
closed entries apart, and the "already meets this city" veto per proposal."""

from typing import Any

from aiohttp.test_utils import TestClient

from shared.contracts.companies import CompanySuspended
from tests.integration.matching.conftest import (
    Publisher,
    company,
    exactly,
    matches_of,
    proposal,
    register,
    submit,
)
from tests.integration.matching.test_lifecycle import mutual_with_meeting
from tests.support import Caller, eventually


class TestEvidence:
    async def test_country_and_language_alone_never_put_a_company_on_a_list(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        unrelated = company(
            focus_areas=["health_wellbeing"],
            tags=["telemedicine"],
            capability_statement="Remote consultations for rural clinics.",
            references=[],
            countries=["VN"],
            languages=["vi", "en"],
        )
        related = company()
        need = proposal()
        await register(publish, unrelated)
        await register(publish, related)
        await submit(publish, need)
        [only] = await eventually(lambda: matches_of(admin, need.proposal_id))
        assert only["company_id"] == related.company_id


class TestRanks:
    async def test_ranks_stay_dense_and_closed_entries_are_listed_apart(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        best = company(tags=["water_supply", "flood_control"])
        others = [company(name_en=f"Water {n}") for n in range(2)]
        need = proposal()
        for profile in (best, *others):
            await register(publish, profile)
        await submit(publish, need)
        await eventually(lambda: exactly(admin, need.proposal_id, 3))
        await publish.send(
            best.company_id,
            CompanySuspended(company_id=best.company_id, version=2, by="admin", reason="x"),
        )

        listed = await eventually(lambda: exactly(admin, need.proposal_id, 2))
        assert [m["rank"] for m in listed] == [1, 2]
        [apart] = await matches_of(admin, need.proposal_id, "withdrawn")
        assert apart["company_id"] == best.company_id and apart["rank"] == 0


class TestMeetingVeto:
    async def test_meeting_a_city_about_one_proposal_does_not_veto_its_next_one(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        match, _, _, _ = await mutual_with_meeting(matching, admin, publish)
        second = proposal(title="Second water network")
        await submit(publish, second)
        [again] = await eventually(lambda: matches_of(admin, second.proposal_id))
        assert again["company_id"] == match["company_id"]
