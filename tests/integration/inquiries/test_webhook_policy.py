"""Webhooks reach only the public internet: no private target by any spelling, at
registration or at delivery, unless an operator allow-lists it (this module does not)."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.inquiries.keys import DESK
from services.inquiries.webhooks.model import NewSubscription
from shared.mongo import new_id
from shared.settings import ServiceSettings
from tests.integration.inquiries.conftest import Receiver, settled, submitted
from tests.support import Caller, eventually


@pytest.fixture
def settings(settings: ServiceSettings) -> ServiceSettings:
    """Plain http allowed, so that every refusal below is about the address itself."""
    return settings.model_copy(update={"outbound_allow_http": True, "outbound_allow": ()})


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8103/inquiries",
        "http://[::1]/",
        "http://0x7f000001/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/hook",
        "http://localhost:8101/companies",  # a name of loopback
        "https://user:pass@hooks.example.com/",
    ],
)
async def test_a_private_or_credentialed_url_is_refused_at_registration(
    url: str, vn_desk: Caller
) -> None:
    response = await vn_desk.post("/webhooks", {"url": url})
    assert response.status == 422, await response.text()
    problem = await response.json()
    assert [error["field"] for error in problem["errors"]] == ["body.url"]
    assert (await (await vn_desk.get("/webhooks")).json())["items"] == []


async def _stored_for_loopback(inquiries: TestClient[Any, Any], url: str) -> str:
    """A subscription registered before the policy existed (or resolved differently
    then): the check at delivery is what keeps it from reaching the receiver on loopback."""
    desk = inquiries.app[DESK]
    subscription_id = new_id()
    await desk.webhooks.add(
        NewSubscription(
            subscription_id=subscription_id,
            owner="test desk:VN",
            url=url.replace("127.0.0.1", "localhost"),
            country="VN",
            company_id=None,
            city_id=None,
            created_at=desk.clock(),
            secret="s" * 32,
        )
    )
    return subscription_id


async def test_a_stored_subscription_to_a_loopback_name_is_refused_without_connecting(
    inquiries: TestClient[Any, Any],
    receiver: tuple[Receiver, str],
    vn_desk: Caller,
    operator: Caller,
) -> None:
    state, url = receiver
    subscription_id = await _stored_for_loopback(inquiries, url)
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    await operator.post(f"/inquiries/{inquiry_id}/replies", {"body": "Here is the answer."})

    found = await eventually(lambda: settled(operator, subscription_id, 2))
    assert {delivery["status"] for delivery in found} == {"failed"}
    attempts = [attempt for delivery in found for attempt in delivery["attempts"]]
    assert [(a["outcome"], a["status"], a["detail"]) for a in attempts] == [
        ("refused_by_policy", None, "refused by policy")
    ] * 2  # one attempt each: a refusal is not retried
    assert state.received == []


async def test_a_test_ping_passes_the_outbound_policy_too(
    inquiries: TestClient[Any, Any], receiver: tuple[Receiver, str], operator: Caller
) -> None:
    state, url = receiver
    subscription_id = await _stored_for_loopback(inquiries, url)
    response = await operator.post(f"/webhooks/{subscription_id}/ping")
    assert response.status == 200, await response.text()
    ping = await response.json()
    assert ping["status"] == "failed"
    assert [(a["outcome"], a["status"]) for a in ping["attempts"]] == [("refused_by_policy", None)]
    assert state.received == []
