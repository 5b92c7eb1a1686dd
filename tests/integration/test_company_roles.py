"""Who may call what: the whole role-by-endpoint matrix of the companies service."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.companies.routes import api
from tests.integration.test_companies_api import register, registration
from tests.support import Caller, granted

CALLERS = ["anonymous", "desk", "city", "operator", "admin", "own company", "other company"]
OK, DENIED, NO_KEY = "ok", 403, 401
# endpoint → expected outcome per caller, in CALLERS order
MATRIX: dict[tuple[str, str], list[str | int]] = {
    ("POST", "/companies"): [OK, OK, OK, OK, OK, OK, OK],
    ("GET", "/companies"): [NO_KEY, OK, DENIED, OK, OK, DENIED, DENIED],
    ("GET", "/companies/{company_id}"): [NO_KEY, OK, DENIED, OK, OK, OK, DENIED],
    ("PATCH", "/companies/{company_id}"): [NO_KEY, DENIED, DENIED, DENIED, OK, OK, DENIED],
    ("POST", "/companies/{company_id}/verify"): [
        NO_KEY,
        DENIED,
        DENIED,
        DENIED,
        OK,
        DENIED,
        DENIED,
    ],
    ("POST", "/companies/{company_id}/suspend"): [
        NO_KEY,
        DENIED,
        DENIED,
        DENIED,
        OK,
        DENIED,
        DENIED,
    ],
}
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/companies"): registration(),
    ("PATCH", "/companies/{company_id}"): {"size": "large"},
    ("POST", "/companies/{company_id}/suspend"): {"reason": "role matrix"},
}


def test_the_matrix_covers_every_endpoint() -> None:
    declared = {(endpoint.method, endpoint.path) for endpoint in api.endpoints}
    assert declared == set(MATRIX)


async def callers(client: TestClient[Any, Any], anonymous: Caller) -> tuple[str, dict[str, Caller]]:
    own = await register(anonymous)
    other = await register(anonymous, name_en="Other Co")
    return own["company"]["company_id"], {
        "anonymous": anonymous,
        "desk": await granted(client, "desk:VN"),
        "city": await granted(client, "city:da-nang"),
        "operator": await granted(client, "operator"),
        "admin": await granted(client, "admin"),
        "own company": Caller(client, own["api_key"]),
        "other company": Caller(client, other["api_key"]),
    }


@pytest.mark.parametrize(("method", "path"), list(MATRIX))
async def test_each_role_gets_what_the_matrix_says(
    method: str, path: str, client: TestClient[Any, Any], anonymous: Caller
) -> None:
    company_id, by_name = await callers(client, anonymous)
    for name, expected in zip(CALLERS, MATRIX[(method, path)], strict=True):
        caller = by_name[name]
        url = path.format(company_id=company_id)
        headers = {"If-Match": "*"} if method == "PATCH" else None
        body = BODIES.get((method, path))
        if method == "GET":
            response = await caller.get(url)
        elif method == "PATCH":
            response = await caller.patch(url, body, headers)
        else:
            response = await caller.post(url, body, headers)
        if expected == OK:
            assert response.status in (200, 201), (name, await response.text())
        else:
            assert response.status == expected, (name, await response.text())
            assert response.content_type == "application/problem+json"


async def test_a_forged_or_malformed_key_is_a_401(client: TestClient[Any, Any]) -> None:
    admin = await granted(client, "admin")
    assert admin.key is not None
    forged = Caller(client, admin.key[:-4] + "AAAA")
    assert (await forged.get("/companies")).status == 401
    assert (await Caller(client, "not-a-key").get("/companies")).status == 401
    missing = await Caller(client, None).get("/companies")
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
