"""Fixtures of the inquiries tests: the service with a hand-moved clock, callers per role,
and reference read models that know the ASCN cities (and what each test adds)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib import resources
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.inquiries.app import create_app
from services.inquiries.consumers import TOPIC_HANDLERS
from services.inquiries.settings import InquirySettings
from services.proposals.cities import parse_cities
from shared.consumer import ConsumedEvent
from shared.contracts import EventPayload
from shared.contracts.companies import CompanyRegistered
from shared.contracts.proposals import CityAdded, ProposalSubmitted
from shared.envelope import Envelope
from shared.mongo import transaction
from shared.platform import PLATFORM
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.streams import company, proposal
from tests.support import Caller, eventually, granted, read_topic, serving

ASCN_CITIES = parse_cities(
    resources.files("services.proposals").joinpath("data/ascn_cities.csv").read_text()
)
THAI = {"country": "TH", "city": "bangkok", "requester": {"kind": "city", "city_id": "bangkok"}}
"""Overrides that make ``inquiry()`` a Thai desk's submission for Bangkok."""

# Monday 2 March 2026, 09:00 in Hanoi: the VN desk has just opened.
MONDAY_OPENING = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@dataclass
class ManualClock:
    """Business time that moves only when a test says so."""

    now: datetime = MONDAY_OPENING

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def inquiry_settings() -> InquirySettings:
    return InquirySettings(
        sla_tick_seconds=0.05,
        webhook_poll_seconds=0.05,
        webhook_retry_base_seconds=0.05,
        webhook_retry_max_seconds=0.2,
        webhook_max_attempts=3,
        webhook_timeout_seconds=2,
    )


@pytest.fixture
async def inquiries(
    settings: ServiceSettings, inquiry_settings: InquirySettings, clock: ManualClock
) -> AsyncIterator[TestClient[Any, Any]]:
    """The inquiries service on a real loopback socket, built by its own create_app."""
    app_factory = partial(create_app, inquiry_settings=inquiry_settings, clock=clock)
    async with serving(app_factory, settings) as client:
        await knows_the_ascn_cities(client)
        yield client


async def knows_the_ascn_cities(client: TestClient[Any, Any]) -> None:
    """As when the proposals service has announced every ASCN city at its start."""
    await known(client, *(CityAdded(city=city) for city in ASCN_CITIES))


async def known(client: TestClient[Any, Any], *payloads: EventPayload) -> None:
    """Teach the reference read models these stream events through the service's own
    consumer entrypoints (arrangement only, like ``granted``: test_references.py shows
    the real streams feeding them)."""
    app = client.app
    handlers = {
        model: handler for table in TOPIC_HANDLERS.values() for model, handler in table.items()
    }
    async with transaction(app[PLATFORM].mongo) as session:
        for payload in payloads:
            envelope = Envelope.wrap(payload, source=payload.stream, subject="arranged")
            await handlers[type(payload)](ConsumedEvent(envelope, payload, session), app)


async def known_company(client: TestClient[Any, Any], company_id: str) -> None:
    await known(client, CompanyRegistered(company=company(company_id=company_id)))


async def known_proposal(
    client: TestClient[Any, Any], proposal_id: str, country: str = "VN"
) -> None:
    details = proposal(proposal_id=proposal_id, country=country)
    await known(client, ProposalSubmitted(proposal=details, by=f"city:{details.city_id}"))


@pytest.fixture
async def vn_desk(inquiries: TestClient[Any, Any]) -> Caller:
    return await granted(inquiries, "desk:VN")


@pytest.fixture
async def th_desk(inquiries: TestClient[Any, Any]) -> Caller:
    return await granted(inquiries, "desk:TH")


@pytest.fixture
async def operator(inquiries: TestClient[Any, Any]) -> Caller:
    return await granted(inquiries, "operator")


@pytest.fixture
async def admin(inquiries: TestClient[Any, Any]) -> Caller:
    return await granted(inquiries, "admin")


def inquiry(**overrides: Any) -> dict[str, Any]:
    """A valid submission from the VN desk; overrides replace top-level fields."""
    body: dict[str, Any] = {
        "requester": {"kind": "city", "city_id": "da-nang"},
        "category": "market_information",
        "country": "VN",
        "city": "da-nang",
        "subject": "Smart parking vendors",
        "body": "Which Japanese vendors have deployed smart parking in Southeast Asia?",
        "language": "en",
        "priority": "normal",
    }
    return {**body, **overrides}


async def submitted(caller: Caller, **overrides: Any) -> dict[str, Any]:
    response = await caller.post("/inquiries", inquiry(**overrides))
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    return created


async def history_types(caller: Caller, inquiry_id: str) -> list[str]:
    response = await caller.get(f"/inquiries/{inquiry_id}/history")
    assert response.status == 200, await response.text()
    return [
        entry["type"].removeprefix("jamp.inquiry.").removesuffix(".v1")
        for entry in (await response.json())["items"]
    ]


@dataclass
class Receiver:
    """A webhook receiver on loopback: ``/hook`` answers 500 to the first ``failures``
    calls, then 204; ``/moved`` redirects to ``/hook``. Keeps what ``/hook`` was sent."""

    failures: int = 1
    received: list[tuple[dict[str, str], str]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.text()))
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500)
        return web.Response(status=204)

    async def moved(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/hook")


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    """The receiver and its ``/hook`` URL (http://127.0.0.1:<port>/hook)."""
    state = Receiver()
    app = web.Application()
    app.router.add_post("/hook", state.handle)
    app.router.add_post("/moved", state.moved)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield state, str(server.make_url("/hook"))
    await server.close()


async def deliveries(caller: Caller, subscription_id: str) -> list[dict[str, Any]]:
    response = await caller.get(f"/webhooks/{subscription_id}/deliveries")
    assert response.status == 200, await response.text()
    items: list[dict[str, Any]] = (await response.json())["items"]
    return items


async def settled(caller: Caller, subscription_id: str, count: int) -> list[dict[str, Any]] | None:
    """The subscription's deliveries once there are ``count`` and none is pending."""
    found = await deliveries(caller, subscription_id)
    done = len(found) == count and all(d["status"] != "pending" for d in found)
    return found if done else None


async def configuration_changes(
    settings: ServiceSettings, key: str, count: int
) -> list[dict[str, Any]]:
    """The payloads of ``count`` configuration changes of ``key`` published on the
    inquiries topic (waits for them, oldest first)."""
    topic = Topics(settings.topic_prefix).of("inquiries")

    async def published() -> list[dict[str, Any]] | None:
        envelopes = [Envelope.from_bytes(r.value) for r in await read_topic(settings, topic, 1)]
        found = [
            e.data
            for e in envelopes
            if e.type == "jamp.inquiry_desk.configuration_changed.v1" and e.data["key"] == key
        ]
        return found if len(found) >= count else None

    return await eventually(published)
