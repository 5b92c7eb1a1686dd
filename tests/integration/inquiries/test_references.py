"""Inquiries name only cities, companies and proposals that exist and belong to the
inquiry's country; the desk learns them from the proposals and companies streams."""

from typing import Any

from aiohttp.test_utils import TestClient

from services.inquiries.keys import DESK
from shared.contracts.companies import CompanyRegistered
from shared.contracts.proposals import City, CityAdded, ProposalDrafted, ProposalSubmitted
from shared.http.appkeys import METRICS
from tests.integration.inquiries.conftest import (
    THAI,
    inquiry,
    known_company,
    known_proposal,
    submitted,
)
from tests.integration.streams import Publisher, company, proposal
from tests.support import Caller, eventually


async def refused(caller: Caller, **overrides: Any) -> dict[str, Any]:
    """The 422 problem a submission gets, after checking it names exactly one field."""
    response = await caller.post("/inquiries", inquiry(**overrides))
    assert response.status == 422, await response.text()
    assert response.content_type == "application/problem+json"
    problem: dict[str, Any] = await response.json()
    assert len(problem["errors"]) == 1
    return problem


async def nothing_filed(operator: Caller) -> bool:
    body = await (await operator.get("/inquiries")).json()
    return bool(body["items"] == [])


class TestCitiesBelongToTheInquirysCountry:
    async def test_a_thai_desk_cannot_file_for_da_nang(
        self, th_desk: Caller, operator: Caller
    ) -> None:
        thai_for_da_nang = {**THAI, "requester": {"kind": "city", "city_id": "da-nang"}}
        problem = await refused(th_desk, **thai_for_da_nang)
        [error] = problem["errors"]
        assert error["field"] == "body.requester.city_id"
        assert "VN" in error["message"] and "TH" in error["message"]
        assert await nothing_filed(operator)

    async def test_the_inquirys_own_city_must_lie_in_its_country(self, th_desk: Caller) -> None:
        problem = await refused(th_desk, **{**THAI, "city": "hanoi"})
        assert problem["errors"][0]["field"] == "body.city"

    async def test_an_unknown_city_is_named(self, vn_desk: Caller) -> None:
        requester = {"kind": "city", "city_id": "atlantis"}
        problem = await refused(vn_desk, requester=requester)
        assert problem["errors"][0]["field"] == "body.requester.city_id"
        assert "no city 'atlantis' is known" in problem["errors"][0]["message"]


class TestCompaniesAndProposalsMustExist:
    async def test_an_unknown_requester_company_is_refused_and_nothing_is_stored(
        self, vn_desk: Caller, operator: Caller
    ) -> None:
        problem = await refused(vn_desk, requester={"kind": "company", "company_id": "c-nobody"})
        assert problem["errors"][0]["field"] == "body.requester.company_id"
        assert "try again" in problem["errors"][0]["message"]
        assert await nothing_filed(operator)

    async def test_unknown_links_are_named(self, vn_desk: Caller) -> None:
        assert (await refused(vn_desk, company_id="c-nobody"))["errors"][0][
            "field"
        ] == "body.company_id"
        assert (await refused(vn_desk, proposal_id="p-nobody"))["errors"][0][
            "field"
        ] == "body.proposal_id"

    async def test_a_proposal_of_another_country_is_not_linked(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller
    ) -> None:
        await known_proposal(inquiries, "p-thai", country="TH")
        problem = await refused(vn_desk, proposal_id="p-thai")
        assert problem["errors"][0]["field"] == "body.proposal_id"

    async def test_known_companies_and_proposals_are_accepted(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller
    ) -> None:
        await known_company(inquiries, "c-kaiyo")
        await known_proposal(inquiries, "p-flood")
        created = await submitted(
            vn_desk,
            requester={"kind": "company", "company_id": "c-kaiyo"},
            company_id="c-kaiyo",
            proposal_id="p-flood",
        )
        assert (created["proposal_id"], created["company_id"]) == ("p-flood", "c-kaiyo")


class TestLearntFromTheStreams:
    async def test_a_company_registered_moments_ago_is_accepted_once_its_event_arrives(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller, publish: Publisher
    ) -> None:
        profile = company()
        requester = {"kind": "company", "company_id": profile.company_id}
        await refused(vn_desk, requester=requester)  # not known yet: a 422 that says so
        await publish.send(profile.company_id, CompanyRegistered(company=profile))

        async def filed() -> bool:
            response = await vn_desk.post("/inquiries", inquiry(requester=requester))
            return response.status == 201

        await eventually(filed)

    async def test_cities_and_submitted_proposals_arrive_on_the_proposals_stream(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller, publish: Publisher
    ) -> None:
        city = City(
            city_id="vung-tau", name="Vung Tau", country="VN", joined=2026, time_zone="Asia/Bangkok"
        )
        need = proposal()
        await publish.send(city.city_id, CityAdded(city=city))
        await publish.send(need.proposal_id, ProposalSubmitted(proposal=need, by="city:da-nang"))
        body = inquiry(city="vung-tau", proposal_id=need.proposal_id)

        async def filed() -> bool:
            return (await vn_desk.post("/inquiries", body)).status == 201

        await eventually(filed)

    async def test_a_draft_is_never_learnt(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller, publish: Publisher
    ) -> None:
        draft, later = proposal(status="draft", version=1), proposal()
        await publish.send(draft.proposal_id, ProposalDrafted(proposal=draft))
        # Same record key, so the same partition: once ``later`` is known, the draft's
        # event has been consumed before it.
        submitted_later = ProposalSubmitted(proposal=later, by="city:da-nang")
        envelope = await publish.send(draft.proposal_id, submitted_later)
        references = inquiries.app[DESK].references

        async def later_known() -> bool:
            found = await references.collections["proposal"].find_one({"_id": later.proposal_id})
            return found is not None

        await eventually(later_known)
        assert envelope.subject == draft.proposal_id
        await refused(vn_desk, proposal_id=draft.proposal_id)

    async def test_a_redelivered_event_changes_nothing(
        self, inquiries: TestClient[Any, Any], publish: Publisher
    ) -> None:
        profile = company()
        envelope = await publish.send(profile.company_id, CompanyRegistered(company=profile))
        await publish.resend(envelope, "companies")
        known = inquiries.app[DESK].references.collections["company"]

        async def learnt() -> bool:
            return bool(await known.count_documents({"_id": profile.company_id}) == 1)

        await eventually(learnt)
        metrics = inquiries.app[METRICS].registry
        labels = {"topic": inquiries.app[DESK].platform.topics.of("companies")}

        async def both_handled() -> bool:  # one upsert each, no marker: applied twice
            handled = metrics.get_sample_value(
                "consumer_events_total", {**labels, "outcome": "handled"}
            )
            return bool(handled == 2)

        await eventually(both_handled)
        assert await known.count_documents({}) == 1
