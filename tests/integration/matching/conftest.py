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
from tests.support import Caller, granted, serving

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
