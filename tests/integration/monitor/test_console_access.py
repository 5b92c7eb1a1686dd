"""The console: operator/admin keys only, traded once for an HttpOnly session cookie."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import ClientSession, CookieJar, WSCloseCode, WSMsgType, WSServerHandshakeError
from aiohttp.test_utils import TestClient
from aiokafka import AIOKafkaProducer

from services.monitor.console.routes import RECHECK_SECONDS
from shared.contracts.identity import ApiKeyRevoked
from shared.envelope import Envelope
from shared.http.appkeys import KEYS
from shared.mongo import transaction
from shared.platform import PLATFORM
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.monitor.test_event_index import events_of, register
from tests.integration.test_companies_api import registration
from tests.support import Caller, granted


@asynccontextmanager
async def console(monitor: TestClient[Any, Any], caller: Caller) -> AsyncIterator[ClientSession]:
    """A browser-like session logged in with the caller's key, closed afterwards."""
    assert caller.key is not None
    session = await logged_in(monitor, caller.key)
    try:
        yield session
    finally:
        await session.close()


async def logged_in(monitor: TestClient[Any, Any], key: str) -> ClientSession:
    """A browser-like session: cookies kept, never an Authorization header."""
    # unsafe: the jar accepts cookies of an IP address host (the loopback test server).
    session = ClientSession(base_url=monitor.make_url(""), cookie_jar=CookieJar(unsafe=True))
    response = await session.post("/api/session", json={"key": key})
    assert response.status == 201
    return session


async def test_login_sets_an_httponly_strict_cookie_that_authenticates(
    monitor: TestClient[Any, Any], operator: Caller
) -> None:
    async with console(monitor, operator) as session:
        [cookie] = session.cookie_jar
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        assert operator.key not in cookie.value
        whoami = await (await session.get("/api/session")).json()
        assert whoami["role"] == "operator"
        assert (await session.get("/api/events")).status == 200
        assert (await session.post("/api/session/logout")).status == 204
        assert (await session.get("/api/events")).status == 401


async def test_a_sessions_token_cannot_open_another_session(
    monitor: TestClient[Any, Any], operator: Caller
) -> None:
    """Else a stolen cookie renews itself for ever, and outlives the owner's logout."""
    async with console(monitor, operator) as session:
        [cookie] = session.cookie_jar
        traded = await monitor.post("/api/session", json={"key": cookie.value})
        assert traded.status == 401 and "Set-Cookie" not in traded.headers
        assert (await session.get("/api/session")).status == 200  # the session itself works


async def test_keys_other_than_operator_or_admin_are_refused(
    monitor: TestClient[Any, Any],
) -> None:
    desk = await granted(monitor, "desk:VN")
    assert (await monitor.post("/api/session", json={"key": desk.key})).status == 403
    assert (await monitor.post("/api/session", json={"key": "jamp_nope"})).status == 401
    assert (await desk.get("/api/events")).status == 403
    assert (await monitor.get("/api/events")).status == 401


async def test_a_revoked_key_ends_its_sessions(
    monitor: TestClient[Any, Any], operator: Caller
) -> None:
    async with console(monitor, operator) as session:
        await revoke(monitor, operator)
        assert (await session.get("/api/events")).status == 401
        # Logging out still works, and clears the cookie the browser kept.
        logout = await session.post("/api/session/logout")
        assert logout.status == 204
        assert "Max-Age=0" in logout.headers["Set-Cookie"]
        assert list(session.cookie_jar) == [] or all(not c.value for c in session.cookie_jar)


async def test_cross_origin_changes_with_the_cookie_are_refused(
    monitor: TestClient[Any, Any], operator: Caller
) -> None:
    async with console(monitor, operator) as session:
        response = await session.put(
            "/api/thresholds/g", json={"max_lag": 1}, headers={"Origin": "http://evil.example"}
        )
        assert response.status == 403


async def test_the_live_tail_streams_new_events_to_a_logged_in_socket(
    monitor: TestClient[Any, Any], client: TestClient[Any, Any], operator: Caller
) -> None:
    async with console(monitor, operator) as session:
        async with session.ws_connect("/api/tail") as socket:
            company_id = await register(client)
            async with asyncio.timeout(15):
                while True:
                    message = await socket.receive()
                    assert message.type is WSMsgType.TEXT
                    event = message.json()
                    if event["subject"] == company_id:
                        break
        assert event["data"]["company"]["contact"]["email"] == "***"


async def test_the_live_tail_streams_only_what_its_filter_matches_as_the_search_would(
    monitor: TestClient[Any, Any], client: TestClient[Any, Any], operator: Caller
) -> None:
    async with console(monitor, operator) as session:
        wanted = {"q": "tamagawa", "type": "jamp.company.registered.v1"}
        async with session.ws_connect("/api/tail", params=wanted) as socket:
            for name in ("Nishikawa Water", "Tamagawa Water"):  # only the second matches
                response = await client.post("/companies", json=registration(name_en=name))
                assert response.status == 201
            async with asyncio.timeout(15):
                first = (await socket.receive()).json()
        assert first["type"] == "jamp.company.registered.v1"
        assert first["data"]["company"]["name_en"] == "Tamagawa Water"
        # A part of a word is no word, as in the search: "tama" finds nothing.
        assert await events_of(operator, q="tama") == []


async def test_an_operators_live_tail_finds_nothing_by_an_address_it_names(
    monitor: TestClient[Any, Any],
    producer: AIOKafkaProducer,
    operator: Caller,
    admin: Caller,
    settings: ServiceSettings,
) -> None:
    topic, address = Topics(settings.topic_prefix).of("proposals"), "sato@example.co.jp"
    envelope = Envelope.model_validate(
        {"source": "s", "type": "t", "subject": address, "correlationid": "c",
         "traceparent": "t", "data": {}}
    )  # fmt: skip
    wanted = {"subject": address}
    async with (
        console(monitor, operator) as by_operator,
        console(monitor, admin) as by_admin,
        by_operator.ws_connect("/api/tail", params=wanted) as operators,
        by_admin.ws_connect("/api/tail", params=wanted) as admins,
    ):
        await producer.send_and_wait(topic, value=envelope.to_bytes())
        async with asyncio.timeout(15):
            assert (await admins.receive()).json()["subject"] == address
        # Both were handed the event at once: the operator's socket let it pass by.
        with pytest.raises(TimeoutError):
            await operators.receive(timeout=1)


async def test_a_live_tail_filter_the_search_would_refuse_is_refused(
    monitor: TestClient[Any, Any], operator: Caller
) -> None:
    async with console(monitor, operator) as session:
        with pytest.raises(WSServerHandshakeError) as refused:
            await session.ws_connect("/api/tail", params={"colour": "red"})
        assert refused.value.status == 422


async def test_revoking_the_key_closes_its_open_live_tail(
    monitor: TestClient[Any, Any], operator: Caller
) -> None:
    async with console(monitor, operator) as session, session.ws_connect("/api/tail") as socket:
        await revoke(monitor, operator)
        async with asyncio.timeout(RECHECK_SECONDS * 3):
            message = await socket.receive()
        while message.type is WSMsgType.TEXT:  # events indexed before the revocation
            message = await socket.receive()
        assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
        assert socket.close_code == WSCloseCode.POLICY_VIOLATION


async def revoke(monitor: TestClient[Any, Any], caller: Caller) -> None:
    assert caller.key is not None
    key_id = caller.key.split("_")[1]
    revoked = ApiKeyRevoked(key_id=key_id, revoked_at=datetime.now(UTC), reason="test")
    async with transaction(monitor.app[PLATFORM].mongo) as mongo_session:
        await monitor.app[KEYS].record_revoked(revoked, mongo_session)


async def test_the_live_tail_refuses_a_socket_without_a_session(
    monitor: TestClient[Any, Any],
) -> None:
    async with ClientSession(base_url=monitor.make_url("")) as session:
        response = await session.get("/api/tail")
        assert response.status == 401


async def test_a_key_opens_the_live_tail_as_it_opens_any_endpoint(
    monitor: TestClient[Any, Any], operator: Caller
) -> None:
    async with ClientSession(base_url=monitor.make_url("")) as session:
        headers = {"Authorization": f"bearer {operator.key}"}  # the scheme ignores case
        async with session.ws_connect("/api/tail", headers=headers) as socket:
            assert not socket.closed


async def test_the_console_page_is_served_with_a_strict_content_policy(
    monitor: TestClient[Any, Any],
) -> None:
    response = await monitor.get("/")
    assert response.status == 200
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert (await monitor.get("/static/console.js")).status == 200
