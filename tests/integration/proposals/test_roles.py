"""Who may call what: the whole role-by-endpoint matrix of the proposals service."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.proposals.routes import api
from tests.integration.proposals.flows import draft, proposal_body, walk_to
from tests.support import Caller, granted

CALLERS = [
    "anonymous",
    "own city",
    "other city",
    "desk VN",
    "desk TH",
    "company",
    "operator",
    "admin",
]
OK, NO_KEY, DENIED, HIDDEN = "ok", 401, 403, 404
# (method, path) → (the state its proposal is in, expected outcome per caller in CALLERS order).
# HIDDEN: the caller's role may call it, but a proposal it may not see does not exist for it.
MATRIX: dict[tuple[str, str], tuple[str | None, list[str | int]]] = {
    ("GET", "/taxonomy"): (None, [OK] * 8),
    ("GET", "/cities"): (None, [OK] * 8),
    ("GET", "/cities/{city_id}"): (None, [OK] * 8),
    ("POST", "/cities"): (None, [NO_KEY, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, OK]),
    ("POST", "/proposals"): (None, [NO_KEY, OK, DENIED, DENIED, DENIED, DENIED, DENIED, OK]),
    ("GET", "/proposals"): (None, [NO_KEY, OK, OK, OK, OK, DENIED, OK, OK]),
    ("GET", "/proposals/{proposal_id}"): (
        "submitted",
        [NO_KEY, OK, HIDDEN, OK, HIDDEN, DENIED, OK, OK],
    ),
    ("GET", "/proposals/{proposal_id}/history"): (
        "submitted",
        [NO_KEY, OK, HIDDEN, OK, HIDDEN, DENIED, OK, OK],
    ),
    ("PATCH", "/proposals/{proposal_id}"): (
        "draft",
        [NO_KEY, OK, HIDDEN, DENIED, DENIED, DENIED, DENIED, OK],
    ),
    ("POST", "/proposals/{proposal_id}/submit"): (
        "draft",
        [NO_KEY, OK, HIDDEN, DENIED, DENIED, DENIED, DENIED, OK],
    ),
    ("POST", "/proposals/{proposal_id}/review"): (
        "submitted",
        [NO_KEY, DENIED, DENIED, DENIED, DENIED, DENIED, OK, OK],
    ),
    ("POST", "/proposals/{proposal_id}/accept"): (
        "under_review",
        [NO_KEY, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, OK],
    ),
    ("POST", "/proposals/{proposal_id}/reject"): (
        "under_review",
        [NO_KEY, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, OK],
    ),
    ("POST", "/proposals/{proposal_id}/match"): (
        "accepted",
        [NO_KEY, DENIED, DENIED, DENIED, DENIED, DENIED, OK, OK],
    ),
    ("POST", "/proposals/{proposal_id}/close"): (
        "matched",
        [NO_KEY, OK, HIDDEN, DENIED, DENIED, DENIED, DENIED, OK],
    ),
    ("POST", "/proposals/{proposal_id}/withdraw"): (
        "submitted",
        [NO_KEY, OK, HIDDEN, DENIED, DENIED, DENIED, DENIED, OK],
    ),
}
BODIES: dict[str, Any] = {
    "/cities": {"name": "Nusantara", "country": "ID", "joined": 2026},
    "/proposals": proposal_body(),
    "/proposals/{proposal_id}": {"title": "Role matrix"},
    "/proposals/{proposal_id}/reject": {"reason": "role matrix"},
    "/proposals/{proposal_id}/withdraw": {"reason": "role matrix"},
}


def test_the_matrix_covers_every_endpoint() -> None:
    assert {(endpoint.method, endpoint.path) for endpoint in api.endpoints} == set(MATRIX)


async def callers(proposals: TestClient[Any, Any]) -> dict[str, Caller]:
    grants = ["city:da-nang", "city:hanoi", "desk:VN", "desk:TH", "company:c1", "operator", "admin"]
    return {
        "anonymous": Caller(proposals, None),
        **{
            name: await granted(proposals, grant)
            for name, grant in zip(CALLERS[1:], grants, strict=True)
        },
    }


@pytest.mark.parametrize(("method", "path"), list(MATRIX))
async def test_each_role_gets_what_the_matrix_says(
    method: str, path: str, proposals: TestClient[Any, Any]
) -> None:
    by_name = await callers(proposals)
    state, expected = MATRIX[(method, path)]
    for name, outcome in zip(CALLERS, expected, strict=True):
        url = path.replace("{city_id}", "hanoi")
        if state is not None:  # a fresh proposal for each caller: an allowed step changes it
            proposal_id = (await draft(by_name["own city"]))["proposal_id"]
            await walk_to(by_name["admin"], proposal_id, state)
            url = path.format(proposal_id=proposal_id)
        caller, body = by_name[name], BODIES.get(path)
        if method == "GET":
            response = await caller.get(url)
        elif method == "PATCH":
            response = await caller.patch(url, body, {"If-Match": "*"})
        else:
            response = await caller.post(url, body)
        got: str | int = OK if response.status < 300 else response.status
        assert got == outcome, f"{name} {method} {path}: {response.status} {await response.text()}"
