"""Webhooks: signed deliveries to a real receiver on loopback, retried, attempts visible."""

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.inquiries.webhooks.dispatch import signature
from shared.embedded import free_port
from shared.settings import ServiceSettings
from tests.integration.inquiries.conftest import Receiver, known_company, settled, submitted
from tests.support import Caller, eventually, granted, person


@pytest.fixture
def settings(settings: ServiceSettings) -> ServiceSettings:
    """The receiver listens on loopback, which only an explicit allow-list opens."""
    allowed = {"outbound_allow_http": True, "outbound_allow": ("127.0.0.1/32",)}
    return settings.model_copy(update=allowed)


async def test_replies_and_status_changes_are_delivered_signed_with_retries(
    receiver: tuple[Receiver, str], vn_desk: Caller, th_desk: Caller, operator: Caller
) -> None:
    state, url = receiver
    response = await vn_desk.post("/webhooks", {"url": url})
    subscription = await response.json()
    assert response.status == 201 and subscription["country"] == "VN"
    await th_desk.post("/webhooks", {"url": url + "?th"})
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    await operator.post(f"/inquiries/{inquiry_id}/replies", {"body": "Here is the answer."})

    found = await eventually(lambda: settled(vn_desk, subscription["subscription_id"], 2))
    assert all(delivery["status"] == "delivered" for delivery in found)
    assert sorted(d["event_type"] for d in found) == [
        "jamp.inquiry.replied.v1",
        "jamp.inquiry.status_changed.v1",
    ]
    attempts = sorted((a["at"], a["status"], a["detail"]) for d in found for a in d["attempts"])
    assert [(status, detail) for _, status, detail in attempts] == [
        (500, "failed with HTTP status 500"),
        (204, "delivered"),
        (204, "delivered"),
    ]
    for headers, body in state.received:
        expected = signature(subscription["secret"], headers["X-Jamp-Timestamp"], body)
        assert headers["X-Jamp-Signature"] == expected
        assert json.loads(body)["subject"] == inquiry_id
    assert len(state.received) == 3  # nothing for the TH desk's subscription


async def test_the_secret_is_shown_once_and_deliveries_only_to_their_owner(
    receiver: tuple[Receiver, str], vn_desk: Caller, th_desk: Caller
) -> None:
    _, url = receiver
    created = await (await vn_desk.post("/webhooks", {"url": url})).json()
    listed = await (await vn_desk.get("/webhooks")).json()
    assert "secret" not in listed["items"][0]
    path = f"/webhooks/{created['subscription_id']}/deliveries"
    assert (await th_desk.get(path)).status == 404
    bad = await vn_desk.post("/webhooks", {"url": "not a url"})
    assert (await bad.json())["errors"][0]["field"] == "body.url"


async def test_a_redirect_is_not_followed(
    receiver: tuple[Receiver, str], vn_desk: Caller, operator: Caller
) -> None:
    state, url = receiver
    state.failures = 0
    moved = url.replace("/hook", "/moved")
    subscription = await (await vn_desk.post("/webhooks", {"url": moved})).json()
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    await operator.post(f"/inquiries/{inquiry_id}/replies", {"body": "Here is the answer."})

    found = await eventually(lambda: settled(vn_desk, subscription["subscription_id"], 2))
    assert {delivery["status"] for delivery in found} == {"failed"}
    details = {attempt["detail"] for d in found for attempt in d["attempts"]}
    assert details == {"failed with HTTP status 302"}
    assert state.received == []  # the redirect's target was never called


async def test_an_unreachable_receiver_shows_only_that_it_could_not_connect(
    vn_desk: Caller, operator: Caller
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/hook"
    subscription = await (await vn_desk.post("/webhooks", {"url": closed})).json()
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    await operator.post(f"/inquiries/{inquiry_id}/replies", {"body": "Here is the answer."})

    found = await eventually(lambda: settled(vn_desk, subscription["subscription_id"], 2))
    attempts = [attempt for delivery in found for attempt in delivery["attempts"]]
    assert attempts and all(
        set(attempt) == {"at", "outcome", "status", "detail", "ms"}
        and (attempt["outcome"], attempt["status"], attempt["detail"])
        == ("could_not_connect", None, "could not connect")
        for attempt in attempts
    )


async def test_requester_webhooks_carry_no_internal_routing(
    receiver: tuple[Receiver, str], inquiries: TestClient[Any, Any], vn_desk: Caller
) -> None:
    state, url = receiver
    state.failures = 0
    await known_company(inquiries, "c-9")
    sato = await person(inquiries, "Consul Sato", "desk:VN")
    company = await granted(inquiries, "company:c-9")
    subscription = await (await company.post("/webhooks", {"url": url})).json()
    requester = {"kind": "company", "company_id": "c-9"}
    inquiry_id = (await submitted(vn_desk, requester=requester))["inquiry_id"]
    await vn_desk.post(f"/inquiries/{inquiry_id}/assign", {"officer": sato.person_id})
    await sato.caller.post(f"/inquiries/{inquiry_id}/notes", {"body": "internal"})
    await sato.caller.post(f"/inquiries/{inquiry_id}/replies", {"body": "Answer."})

    found = await eventually(lambda: settled(company, subscription["subscription_id"], 3))
    assert {d["event_type"] for d in found} == {
        "jamp.inquiry.status_changed.v1",
        "jamp.inquiry.replied.v1",
    }
    assert len(state.received) == 3
    for _, body in state.received:
        assert "Sato" not in body and sato.person_id not in body and "desk-vn" not in body
        assert "internal" not in body
