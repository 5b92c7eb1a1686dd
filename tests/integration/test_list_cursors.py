"""Every list of every service checks its cursor before any query runs: a cursor this API
did not return (non-numeric, negative, huge, malformed) is a 422 naming ``query.cursor``."""

import base64
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from aiohttp import web

from services.companies.app import create_app as companies
from services.companies.routes import api as companies_api
from services.inquiries.administration.configuration_routes import configuration_api
from services.inquiries.administration.routes import desk_api
from services.inquiries.app import create_app as inquiries
from services.inquiries.attachments.routes import attachments_api
from services.inquiries.conversation.routes import conversation_api
from services.inquiries.routes import api as inquiries_api
from services.matching.app import create_app as matching
from services.matching.routes import api as matching_api
from services.monitor.app import ROUTES as MONITOR_ROUTES
from services.monitor.app import create_app as monitor
from services.notifications.app import create_app as notifications
from services.notifications.routes import api as notifications_api
from services.proposals.app import create_app as proposals
from services.proposals.routes import api as proposals_api
from shared.http.endpoints import ApiRoutes, Endpoint
from shared.http.pagination import PageQuery, encode_cursor
from shared.settings import ServiceSettings
from tests.support import granted, serving

SERVICES: dict[str, tuple[Callable[[ServiceSettings], web.Application], list[ApiRoutes]]] = {
    "companies": (companies, [companies_api]),
    "proposals": (proposals, [proposals_api]),
    "inquiries": (
        inquiries,
        [inquiries_api, conversation_api, attachments_api, desk_api, configuration_api],
    ),
    "matching": (matching, [matching_api]),
    "monitor": (monitor, MONITOR_ROUTES),
    "notifications": (notifications, [notifications_api]),
}
LISTS = [
    pytest.param(name, endpoint, id=f"{name} {endpoint.path}")
    for name, (_, groups) in SERVICES.items()
    for group in groups
    for endpoint in group.endpoints
    if endpoint.query is not None and issubclass(endpoint.query, PageQuery)
]
# None of these names a position of any list: ids, slugs and offsets alike refuse them.
HOSTILE = {
    "no position at all": encode_cursor("no such/place"),
    "negative": encode_cursor("-1"),
    "fractional": encode_cursor("1.5"),
    "not text": base64.urlsafe_b64encode(orjson.dumps({"after": 5})).decode(),
    "not base64": "garbage!",
    "not json": base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "longer than any cursor": "A" * 400,
    "upper case": encode_cursor("ABC"),
}


def test_every_service_has_lists_under_test() -> None:
    assert {param.values[0] for param in LISTS} == set(SERVICES)


@pytest.mark.parametrize(("service", "endpoint"), LISTS)
async def test_a_cursor_this_api_did_not_return_is_refused_naming_the_cursor(
    service: str, endpoint: Endpoint, settings: ServiceSettings
) -> None:
    create_app, _ = SERVICES[service]
    async with serving(create_app, settings) as client:
        admin = await granted(client, "admin")
        path = endpoint.path.format(
            **{name: "6b0b676d6dcfcad014fd26c2" for name in endpoint.path_params}
        )
        for what, cursor in HOSTILE.items():
            response = await admin.get(path, cursor=cursor)
            problem: dict[str, Any] = await response.json(content_type=None)
            assert response.status == 422, (what, problem)
            assert response.content_type == "application/problem+json"
            assert [error["field"] for error in problem["errors"]] == ["query.cursor"], what


@pytest.mark.parametrize(
    "cursor",
    [
        "eyJhZnRlciI6ImFiYyJ9",  # {"after": "abc"}: answered 500 before
        encode_cursor("99999999999999999999"),
        encode_cursor("-3"),  # answered a page from the end before
    ],
    ids=["non-numeric", "huge", "negative"],
)
@pytest.mark.parametrize("side", ["proposals", "companies"])
async def test_an_offset_into_a_match_list_must_be_a_small_whole_number(
    side: str, cursor: str, settings: ServiceSettings
) -> None:
    async with serving(matching, settings) as client:
        admin = await granted(client, "admin")
        response = await admin.get(f"/{side}/6b0b676d6dcfcad014fd26c2/matches", cursor=cursor)
        assert response.status == 422
        problem = await response.json(content_type=None)
        assert [error["field"] for error in problem["errors"]] == ["query.cursor"]
