"""Log lines of unexpected errors never repeat pydantic's input: it may be a contact."""

from typing import Any

import structlog
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from shared.contracts.companies import CompanyVerified
from shared.http.middleware import problem_details

CONTACT = {"company_id": {"email": "sato@example.co.jp", "phone": "+84 236 3822 123"}}


async def failing_view(request: web.Request) -> web.Response:
    CompanyVerified.model_validate(CONTACT)  # a bug: validation nobody maps to a 4xx
    return web.Response()


async def test_an_unexpected_validation_error_is_logged_without_its_input() -> None:
    app = web.Application(middlewares=[problem_details])
    app.router.add_get("/bug", failing_view)
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    try:
        with structlog.testing.capture_logs() as logs:
            response = await client.get("/bug")
    finally:
        await client.close()

    assert response.status == 500
    [logged] = [line for line in logs if line["event"] == "http.unhandled_error"]
    assert logged["error"].startswith("ValidationError: 3 error(s) in CompanyVerified:")
    assert "sato@" not in repr(logs) and "3822" not in repr(logs)
