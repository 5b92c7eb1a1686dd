"""Fixtures of the matching tests: the service on a real socket; ``publish`` (from
tests/integration/conftest.py) puts companies and proposals events on their real topics."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.matching.app import create_app
from shared.contracts.companies import CompanyProfile, CompanyRegistered
from shared.contracts.proposals import CityAdded, ProposalDetails, ProposalSubmitted
from shared.envelope import Envelope
from shared.settings import ServiceSettings
from tests.integration.streams import Publisher, company, proposal
from tests.support import Caller, eventually, granted, serving

__all__ = ["Publisher", "company", "proposal"]  # the matching tests import them from here

SOURCES = {"companies": "companies", "proposals": "proposals"}


@pytest.fixture
async def matching(settings: ServiceSettings) -> AsyncIterator[TestClient[Any, Any]]:
    async with serving(create_app, settings) as client:
        yield client


@pytest.fixture
async def admin(matching: TestClient[Any, Any]) -> Caller:
    return await granted(matching, "admin")


async def add_city(
    publish: Publisher, city_id: str = "da-nang", zone: str = "Asia/Ho_Chi_Minh"
) -> None:
    city = {
        "city_id": city_id,
        "name": "Da Nang",
        "country": "VN",
        "joined": 2018,
        "time_zone": zone,
    }
    await publish.send(city_id, CityAdded.model_validate({"city": city}))


async def register(publish: Publisher, profile: CompanyProfile) -> Envelope:
    return await publish.send(profile.company_id, CompanyRegistered(company=profile))


async def submit(publish: Publisher, details: ProposalDetails) -> Envelope:
    return await publish.send(details.proposal_id, ProposalSubmitted(proposal=details, by="city:x"))


Probe = Callable[[], Awaitable[Any]]


async def matches_of(caller: Caller, proposal_id: str, status: str | None = None) -> list[Any]:
    params = {"status": status} if status else {}
    response = await caller.get(f"/proposals/{proposal_id}/matches", **params)
    if response.status != 200:
        return []
    items: list[Any] = (await response.json())["items"]
    return items


async def exactly(
    caller: Caller, proposal_id: str, count: int, status: str | None = None
) -> list[Any] | None:
    found = await matches_of(caller, proposal_id, status)
    return found if len(found) == count else None


async def proposed(
    matching: TestClient[Any, Any],
    admin: Caller,
    publish: Publisher,
    status: str = "accepted",
) -> tuple[dict[str, Any], Caller, Caller]:
    """One company matched to one proposal (of ``status``): the match, and callers for the
    company and for the city."""
    water, need = company(), proposal(status=status)
    await register(publish, water)
    await submit(publish, need)
    [match] = await eventually(lambda: matches_of(admin, need.proposal_id))
    own = await granted(matching, f"company:{water.company_id}")
    city = await granted(matching, f"city:{need.city_id}")
    return match, own, city


async def accepted_pair(
    matching: TestClient[Any, Any], admin: Caller, publish: Publisher, city_id: str = "da-nang"
) -> tuple[list[Any], dict[str, Caller]]:
    """Two companies matched to one proposal of the city, each match accepted by both
    sides: the matches, and callers for the city and for each company (by its id)."""
    await add_city(publish, city_id)
    first = company(tags=["water_supply", "flood_control"])
    second, need = company(name_en="Second Water"), proposal(status="accepted", city_id=city_id)
    await register(publish, first)
    await register(publish, second)
    await submit(publish, need)
    found = await eventually(lambda: exactly(admin, need.proposal_id, 2))
    city = await granted(matching, f"city:{city_id}")
    sides = {"city": city}
    for match in found:
        own = await granted(matching, f"company:{match['company_id']}")
        sides[match["company_id"]] = own
        await own.post(f"/matches/{match['match_id']}/accept")
        await city.post(f"/matches/{match['match_id']}/accept")
    return found, sides
