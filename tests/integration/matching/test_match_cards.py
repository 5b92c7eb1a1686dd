"""Each side sees what it answers: a company the proposal, a city the company's public
profile; contacts stay hidden until both sides accepted."""

from typing import Any

from aiohttp.test_utils import TestClient

from tests.integration.matching.conftest import Publisher, add_city, matches_of, proposed
from tests.support import Caller, granted

PROPOSAL_CARD = {
    "title": "Water supply network leakage reduction",
    "city_id": "da-nang",
    "city_name": "Da Nang",
    "country": "VN",
    "stage": "feasibility_study",
    "focus_areas": ["quality_environment", "safety_security"],
    "tags": ["water_supply", "flood_control"],
    "budget": {"min": 100000.0, "max": 500000.0, "currency": "USD"},
    "timeline": {"start": "2026-04-01", "end": "2027-03-31"},
    "financing": ["oda"],
}


async def matched(
    matching: TestClient[Any, Any], admin: Caller, publish: Publisher
) -> tuple[dict[str, Any], Caller, Caller]:
    """An accepted proposal's match, with the city's reference data known."""
    await add_city(publish)
    return await proposed(matching, admin, publish)


class TestTheCompanySeesTheProposal:
    async def test_its_matches_list_the_proposal_without_the_contact(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        match, own, _ = await matched(matching, admin, publish)

        page = await (await own.get(f"/companies/{match['company_id']}/matches")).json()
        [seen] = page["items"]

        card = seen["proposal"]
        assert {key: card[key] for key in PROPOSAL_CARD} == PROPOSAL_CARD
        assert card["proposal_id"] == match["proposal_id"]
        assert card["description"].startswith("Reduce non-revenue water")
        assert "contact" not in card and seen["city_contact"] is None
        assert seen["company"] is None  # its own profile is not news to it

    async def test_one_match_shows_the_proposal_and_after_both_accept_the_contact(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        match, own, city = await matched(matching, admin, publish)
        path = f"/matches/{match['match_id']}"

        before = await (await own.get(path)).json()
        assert before["proposal"]["title"] == PROPOSAL_CARD["title"]
        assert before["city_contact"] is None
        await own.post(f"{path}/accept")
        await city.post(f"{path}/accept")

        after = await (await own.get(path)).json()
        assert after["proposal"]["city_name"] == "Da Nang"
        assert after["city_contact"]["email"] == "a@danang.gov.vn"


class TestTheCitySeesTheCompany:
    async def test_its_proposals_matches_carry_the_public_profile(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        match, _, city = await matched(matching, admin, publish)

        [seen] = await matches_of(city, match["proposal_id"])

        card = seen["company"]
        assert card["company_id"] == match["company_id"]
        assert card["name_en"] == "Kaiyo Water Engineering"
        assert card["name_ja"] == "海洋水道エンジニアリング"
        assert card["size"] == "medium"
        assert card["capability_statement"].startswith("Design and operation")
        assert [ref["title"] for ref in card["references"]] == [
            "Non-revenue water reduction feasibility study"
        ]
        assert card["tags"] == ["water_supply", "wastewater"]
        assert (card["countries"], card["languages"]) == (["VN"], ["ja", "en"])
        assert "contact" not in card and seen["company_contact"] is None
        assert seen["proposal"] is None  # the city wrote it


class TestStaffAndDesk:
    async def test_staff_and_the_desk_see_both_cards(
        self, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
    ) -> None:
        match, _, _ = await matched(matching, admin, publish)
        desk = await granted(matching, "desk:VN")

        for caller in (admin, desk):
            seen = await (await caller.get(f"/matches/{match['match_id']}")).json()
            assert seen["proposal"]["title"] == PROPOSAL_CARD["title"]
            assert seen["company"]["name_en"] == "Kaiyo Water Engineering"

    async def test_the_openapi_document_describes_both_cards(
        self, matching: TestClient[Any, Any], admin: Caller
    ) -> None:
        document = await (await admin.get("/openapi.json")).json()
        schemas = document["components"]["schemas"]
        assert {"description", "budget", "timeline"} <= set(schemas["ProposalCard"]["properties"])
        assert "contact" not in schemas["ProposalCard"]["properties"]
        assert {"references", "languages"} <= set(schemas["CompanyCard"]["properties"])
