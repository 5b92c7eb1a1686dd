"""Webhooks: signed deliveries to a real receiver on loopback, retried, attempts visible."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from services.inquiries.webhook_dispatch import signature
from tests.integration.inquiries.conftest import submitted
from tests.support import Caller, eventually


@dataclass
class Receiver:
    """Answers 500 to the first ``failures`` calls, then 204; keeps what it was sent."""

    failures: int = 1
    received: list[tuple[dict[str, str], str]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.text()))
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500)
        return web.Response(status=204)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    state = Receiver()
    app = web.Application()
    app.router.add_post("/hook", state.handle)
    server = TestServer(app)
    await server.start_server()
    yield state, str(server.make_url("/hook"))
    await server.close()


async def _deliveries(caller: Caller, subscription_id: str) -> list[dict[str, Any]]:
    body = await (await caller.get(f"/webhooks/{subscription_id}/deliveries")).json()
    items: list[dict[str, Any]] = body["items"]
    return items


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

    async def settled() -> list[dict[str, Any]] | None:
        found = await _deliveries(vn_desk, subscription["subscription_id"])
        return found if found and all(d["status"] == "delivered" for d in found) else None

    deliveries = await eventually(settled)
    assert sorted(d["event_type"] for d in deliveries) == [
        "jamp.inquiry.replied.v1",
        "jamp.inquiry.status_changed.v1",
    ]
    attempts = sorted((a["at"], a["status"]) for d in deliveries for a in d["attempts"])
    assert [status for _, status in attempts] == [500, 204, 204]
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
