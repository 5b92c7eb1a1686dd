"""Fixtures: the proposals service on the embedded servers, and callers of every role."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.proposals.app import create_app
from shared.settings import ServiceSettings
from tests.support import Caller, granted, serving


@pytest.fixture
async def proposals(settings: ServiceSettings) -> AsyncIterator[TestClient[Any, Any]]:
    async with serving(create_app, settings) as client:
        yield client


@pytest.fixture
async def da_nang(proposals: TestClient[Any, Any]) -> Caller:
    return await granted(proposals, "city:da-nang")


@pytest.fixture
async def admin(proposals: TestClient[Any, Any]) -> Caller:
    return await granted(proposals, "admin")


@pytest.fixture
async def operator(proposals: TestClient[Any, Any]) -> Caller:
    return await granted(proposals, "operator")


@pytest.fixture
async def desk_vn(proposals: TestClient[Any, Any]) -> Caller:
    return await granted(proposals, "desk:VN")
