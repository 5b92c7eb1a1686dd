"""NUL characters are refused in every part of a request, naming the field that has one."""

from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from tests.integration.test_companies_api import registration
from tests.support import Caller, granted


async def refused_fields(response: ClientResponse) -> list[str]:
    assert response.status == 422, await response.text()
    assert response.content_type == "application/problem+json"
    return [error["field"] for error in (await response.json())["errors"]]


async def test_a_nul_in_body_text_is_refused_and_nothing_is_registered(
    anonymous: Caller, client: TestClient[Any, Any]
) -> None:
    response = await anonymous.post("/companies", registration(name_en="Kaiyo\x00 Water"))
    assert await refused_fields(response) == ["body.name_en"]
    admin = await granted(client, "admin")
    assert (await (await admin.get("/companies")).json())["items"] == []


async def test_a_nul_in_a_query_or_path_parameter_is_refused(client: TestClient[Any, Any]) -> None:
    admin = await granted(client, "admin")
    assert await refused_fields(await admin.get("/companies", q="wat\x00er")) == ["query.q"]
    assert await refused_fields(await admin.get("/companies/c%00d")) == ["path.company_id"]
