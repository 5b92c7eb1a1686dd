"""NUL characters, and bytes that are no UTF-8, are refused in every part of a request, naming
the field that has one."""

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


async def test_query_bytes_that_are_not_utf8_are_refused_not_read_as_nothing(
    client: TestClient[Any, Any],
) -> None:
    """%ff decodes to U+FFFD, which no company's terms hold: the search answered an empty
    page (or, with no terms left, every company) for what was no text at all."""
    admin = await granted(client, "admin")
    garbled = await admin.client.get(
        "/companies?q=%ff%fe", headers={"Authorization": f"Bearer {admin.key}"}
    )
    assert await refused_fields(garbled) == ["query.q"]
    assert (await garbled.json())["errors"][0]["type"] == "not_utf8"
    assert (await admin.get("/companies", q="水道")).status == 200  # real UTF-8 is text
