"""Managing webhooks against a real receiver on loopback: delete, pause and resume, rotate
the secret, a test ping, sending a failed delivery again, the events asked for, the
country a desk may ask for; every change audited and published."""

from typing import Any

import pytest

from services.inquiries.keys import DESK
from services.inquiries.settings import InquirySettings
from services.inquiries.webhooks.dispatch import signature
from shared.settings import ServiceSettings
from tests.integration.inquiries.conftest import (
    ManualClock,
    Receiver,
    configuration_changes,
    deliveries,
    settled,
    submitted,
)
from tests.support import Caller, eventually, granted


@pytest.fixture
def settings(settings: ServiceSettings) -> ServiceSettings:
    """The receiver listens on loopback, which only an explicit allow-list opens."""
    allowed = {"outbound_allow_http": True, "outbound_allow": ("127.0.0.1/32",)}
    return settings.model_copy(update=allowed)


async def _subscribed(caller: Caller, url: str, **fields: Any) -> dict[str, Any]:
    response = await caller.post("/webhooks", {"url": url, **fields})
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    return created


def _signed_by(headers: dict[str, str], body: str, *secrets: str) -> bool:
    expected = ", ".join(signature(s, headers["X-Jamp-Timestamp"], body) for s in secrets)
    return headers["X-Jamp-Signature"] == expected


class TestScope:
    async def test_a_desk_asking_for_another_country_is_refused_by_the_field(
        self, receiver: tuple[Receiver, str], vn_desk: Caller, operator: Caller
    ) -> None:
        _, url = receiver
        response = await vn_desk.post("/webhooks", {"url": url, "country": "TH"})
        assert response.status == 403
        assert (await response.json())["field"] == "body.country"
        assert (await (await vn_desk.get("/webhooks")).json())["items"] == []
        assert (await _subscribed(vn_desk, url, country="VN"))["country"] == "VN"
        assert (await _subscribed(operator, url, country="TH"))["country"] == "TH"

    async def test_the_requester_side_may_not_hear_the_desks_sla_clocks(
        self, receiver: tuple[Receiver, str], inquiries: Any
    ) -> None:
        _, url = receiver
        city = await granted(inquiries, "city:da-nang")
        response = await city.post("/webhooks", {"url": url, "events": ["sla_breached"]})
        assert response.status == 403
        assert (await response.json())["field"] == "body.events"
        bad = await city.post("/webhooks", {"url": url, "events": ["gossip"]})
        assert (await bad.json())["errors"][0]["field"] == "body.events.0"


async def test_submitted_and_sla_events_reach_the_subscriptions_that_asked(
    receiver: tuple[Receiver, str], vn_desk: Caller, clock: ManualClock
) -> None:
    state, url = receiver
    state.failures = 0
    events = ["submitted", "sla_warning", "sla_breached"]
    asked = await _subscribed(vn_desk, url, events=events)
    default = await _subscribed(vn_desk, url + "?default")
    inquiry_id = (await submitted(vn_desk, priority="urgent"))["inquiry_id"]
    clock.advance(minutes=61)  # past the urgent first-response target of 60

    found = await eventually(lambda: settled(vn_desk, asked["subscription_id"], 3))
    assert sorted(d["event_type"] for d in found) == [
        "jamp.inquiry.sla_breached.v1",
        "jamp.inquiry.sla_warning.v1",
        "jamp.inquiry.submitted.v1",
    ]
    assert {d["inquiry_id"] for d in found} == {inquiry_id}
    assert await deliveries(vn_desk, default["subscription_id"]) == []


async def test_a_paused_subscription_holds_its_deliveries_until_it_resumes(
    receiver: tuple[Receiver, str], vn_desk: Caller, operator: Caller
) -> None:
    state, url = receiver
    state.failures = 0
    subscription_id = (await _subscribed(vn_desk, url))["subscription_id"]
    paused = await vn_desk.post(f"/webhooks/{subscription_id}/pause")
    assert paused.status == 200 and (await paused.json())["paused"] is True
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    await operator.post(f"/inquiries/{inquiry_id}/replies", {"body": "Answer."})

    held = await deliveries(vn_desk, subscription_id)
    assert [d["status"] for d in held] == ["paused", "paused"]
    resumed = await vn_desk.post(f"/webhooks/{subscription_id}/resume")
    assert (await resumed.json())["paused"] is False
    found = await eventually(lambda: settled(vn_desk, subscription_id, 2))
    assert {d["status"] for d in found} == {"delivered"}
    assert len(state.received) == 2


class TestSecretRotation:
    async def test_the_old_secret_signs_beside_the_new_one_during_the_overlap(
        self, receiver: tuple[Receiver, str], vn_desk: Caller
    ) -> None:
        state, url = receiver
        state.failures = 0
        created = await _subscribed(vn_desk, url)
        subscription_id = created["subscription_id"]
        rotated = await vn_desk.post(f"/webhooks/{subscription_id}/rotate-secret")
        assert rotated.status == 200
        fresh = await rotated.json()
        assert fresh["secret"] != created["secret"]
        assert fresh["previous_secret_valid_until"] is not None
        listed = (await (await vn_desk.get("/webhooks")).json())["items"]
        assert "secret" not in listed[0] and "previous_secret" not in listed[0]

        ping = await vn_desk.post(f"/webhooks/{subscription_id}/ping")
        assert (await ping.json())["status"] == "delivered"
        [(headers, body)] = state.received
        assert _signed_by(headers, body, fresh["secret"], created["secret"])


class TestRotationWithoutOverlap:
    @pytest.fixture
    def inquiry_settings(self, inquiry_settings: InquirySettings) -> InquirySettings:
        return inquiry_settings.model_copy(update={"webhook_secret_overlap_seconds": 0})

    async def test_without_an_overlap_only_the_new_secret_signs(
        self, receiver: tuple[Receiver, str], vn_desk: Caller
    ) -> None:
        state, url = receiver
        state.failures = 0
        subscription_id = (await _subscribed(vn_desk, url))["subscription_id"]
        fresh = await (await vn_desk.post(f"/webhooks/{subscription_id}/rotate-secret")).json()
        assert fresh["previous_secret_valid_until"] is None
        await vn_desk.post(f"/webhooks/{subscription_id}/ping")
        [(headers, body)] = state.received
        assert _signed_by(headers, body, fresh["secret"])


async def test_a_failed_ping_is_sent_again_on_request(
    receiver: tuple[Receiver, str], vn_desk: Caller, th_desk: Caller
) -> None:
    state, url = receiver  # the receiver answers 500 once, then 204
    subscription_id = (await _subscribed(vn_desk, url))["subscription_id"]
    assert (await th_desk.post(f"/webhooks/{subscription_id}/ping")).status == 404
    ping = await (await vn_desk.post(f"/webhooks/{subscription_id}/ping")).json()
    assert (ping["event_type"], ping["inquiry_id"], ping["status"]) == (
        "jamp.webhook.ping.v1",
        None,
        "failed",
    )
    assert [(a["status"], a["detail"]) for a in ping["attempts"]] == [
        (500, "failed with HTTP status 500")
    ]
    again = f"/webhooks/{subscription_id}/deliveries/{ping['delivery_id']}/redeliver"
    assert (await th_desk.post(again)).status == 404
    response = await vn_desk.post(again)
    assert response.status == 202 and (await response.json())["status"] == "pending"

    [done] = await eventually(lambda: settled(vn_desk, subscription_id, 1))
    assert done["status"] == "delivered"
    assert [a["status"] for a in done["attempts"]] == [500, 204]
    assert len(state.received) == 2
    refused = await vn_desk.post(again)
    assert refused.status == 409 and (await refused.json())["current_status"] == "delivered"
    missing = f"/webhooks/{subscription_id}/deliveries/nothing-here/redeliver"
    assert (await vn_desk.post(missing)).status == 404


async def test_a_deleted_subscription_is_told_nothing_more(
    receiver: tuple[Receiver, str], vn_desk: Caller, th_desk: Caller, operator: Caller
) -> None:
    state, url = receiver
    subscription_id = (await _subscribed(vn_desk, url))["subscription_id"]
    assert (await th_desk.delete(f"/webhooks/{subscription_id}")).status == 404
    assert (await vn_desk.delete(f"/webhooks/{subscription_id}")).status == 204
    assert (await vn_desk.delete(f"/webhooks/{subscription_id}")).status == 404
    assert (await vn_desk.get(f"/webhooks/{subscription_id}/deliveries")).status == 404
    assert (await (await operator.get("/webhooks")).json())["items"] == []
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    await operator.post(f"/inquiries/{inquiry_id}/replies", {"body": "Answer."})
    # Nothing was queued for the deleted subscription.
    queued = await operator.client.app[DESK].webhooks.deliveries.count_documents({})
    assert queued == 0 and state.received == []


async def test_every_change_is_audited_with_the_person_and_published(
    receiver: tuple[Receiver, str], vn_desk: Caller, operator: Caller, settings: ServiceSettings
) -> None:
    state, url = receiver
    state.failures = 0
    created = await _subscribed(vn_desk, url)
    subscription_id = created["subscription_id"]
    for action in ("pause", "resume", "rotate-secret", "ping"):
        assert (await vn_desk.post(f"/webhooks/{subscription_id}/{action}")).status == 200
    assert (await operator.delete(f"/webhooks/{subscription_id}")).status == 204

    history = await operator.get("/configuration/history", setting="webhooks")
    items = (await history.json())["items"]
    assert all(item["key"] == subscription_id for item in items)
    assert [item["by"] for item in items] == ["operator"] + ["desk:VN"] * 5
    assert items[-1]["by_person"]["name"] == "test desk:VN"
    created_, pause, resume, rotate, ping, delete = reversed(items)  # newest first
    assert (created_["before"], created_["after"]["events"]) == (None, created["events"])
    assert [(c["before"]["paused"], c["after"]["paused"]) for c in (pause, resume)] == [
        (False, True),
        (True, False),
    ]
    assert rotate["before"]["secret_rotated_at"] is None
    assert rotate["after"]["secret_rotated_at"] is not None
    assert (ping["before"], ping["after"]["status"]) == (None, "delivered")
    assert delete["after"] is None
    assert created["secret"] not in str(items)

    changes = await configuration_changes(settings, subscription_id, 6)
    assert len(changes) == 6
    assert {change["setting"] for change in changes} == {"webhooks"}
    assert created["secret"] not in str(changes)
