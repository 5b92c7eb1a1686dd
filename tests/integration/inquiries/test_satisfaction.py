"""The requester rates a closed inquiry: once per closure, an event, and in the report."""

from typing import Any

from aiohttp.test_utils import TestClient

from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.inquiries.conftest import known_company, submitted
from tests.support import Caller, eventually, granted, read_topic


async def _closed_by_company(
    inquiries: TestClient[Any, Any], vn_desk: Caller
) -> tuple[str, Caller]:
    await known_company(inquiries, "c-7")
    created = await submitted(vn_desk, requester={"kind": "company", "company_id": "c-7"})
    inquiry_id = created["inquiry_id"]
    assert (await vn_desk.post(f"/inquiries/{inquiry_id}/replies", {"body": "Here."})).ok
    assert (await vn_desk.post(f"/inquiries/{inquiry_id}/close", {})).status == 200
    return inquiry_id, await granted(inquiries, "company:c-7")


async def test_the_requester_rates_a_closure_once_and_again_after_a_reopening(
    inquiries: TestClient[Any, Any], vn_desk: Caller, settings: ServiceSettings
) -> None:
    inquiry_id, company = await _closed_by_company(inquiries, vn_desk)
    rating = f"/inquiries/{inquiry_id}/rating"
    response = await company.post(rating, {"rating": 4, "comment": "Useful contacts."})
    assert response.status == 201, await response.text()
    first = (await response.json())["satisfaction"]
    assert (first["rating"], first["comment"]) == (4, "Useful contacts.")
    again = await company.post(rating, {"rating": 1})
    assert again.status == 409
    assert "rated already" in await again.text()

    assert (await company.post(f"/inquiries/{inquiry_id}/reopen", {})).status == 200
    reopened = await (await vn_desk.get(f"/inquiries/{inquiry_id}")).json()
    assert reopened["satisfaction"] is None  # the closure rated no longer stands
    assert (await company.post(rating, {"rating": 2})).status == 409  # open: nothing to rate
    assert (await vn_desk.post(f"/inquiries/{inquiry_id}/close", {})).status == 200
    second = await company.post(rating, {"rating": 5})
    assert second.status == 201, await second.text()
    assert (await second.json())["satisfaction"]["rating"] == 5

    topic = Topics(settings.topic_prefix).of("inquiries")

    async def both_ratings() -> list[dict[str, Any]] | None:
        envelopes = [Envelope.from_bytes(r.value) for r in await read_topic(settings, topic, 1)]
        found = [e.data for e in envelopes if e.type == "jamp.inquiry.rated.v1"]
        return found if len(found) >= 2 else None

    rated = await eventually(both_ratings)
    assert [(data["rating"], data["comment"]) for data in rated] == [
        (4, "Useful contacts."),
        (5, None),
    ]
    history = await (await vn_desk.get(f"/inquiries/{inquiry_id}/history")).json()
    assert [entry["type"] for entry in history["items"]].count("jamp.inquiry.rated.v1") == 2


async def test_a_rating_outside_one_to_five_is_named_and_other_requesters_cannot_rate(
    inquiries: TestClient[Any, Any], vn_desk: Caller
) -> None:
    inquiry_id, company = await _closed_by_company(inquiries, vn_desk)
    for bad in ({"rating": 0}, {"rating": 6}, {"comment": "no rating"}):
        response = await company.post(f"/inquiries/{inquiry_id}/rating", bad)
        assert response.status == 422
        assert (await response.json())["errors"][0]["field"] == "body.rating"
    await known_company(inquiries, "c-8")
    stranger = await granted(inquiries, "company:c-8")
    assert (await stranger.post(f"/inquiries/{inquiry_id}/rating", {"rating": 3})).status == 404
    inquiry = await (await vn_desk.get(f"/inquiries/{inquiry_id}")).json()
    assert inquiry["satisfaction"] is None


async def test_the_report_counts_and_averages_the_ratings(
    inquiries: TestClient[Any, Any], vn_desk: Caller, operator: Caller
) -> None:
    inquiry_id, company = await _closed_by_company(inquiries, vn_desk)
    assert (await company.post(f"/inquiries/{inquiry_id}/rating", {"rating": 3})).status == 201
    other = await submitted(vn_desk, requester={"kind": "company", "company_id": "c-7"})
    await vn_desk.post(f"/inquiries/{other['inquiry_id']}/close", {})
    rating = await vn_desk.post(f"/inquiries/{other['inquiry_id']}/rating", {"rating": 4})
    assert rating.status == 201  # a desk relays an answer its requester gave by phone
    unrated = await submitted(vn_desk)
    await vn_desk.post(f"/inquiries/{unrated['inquiry_id']}/close", {})
    report = await (await operator.get("/reports/inquiries")).json()
    (row,) = report["rows"]
    assert (row["satisfaction_ratings"], row["satisfaction_average"]) == (2, 3.5)
