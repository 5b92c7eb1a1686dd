"""Sending through a relay that wants a login: the credentials in JAMP_SMTP_URL are used,
and a refused login is the relay settings' fault, kept for a retry rather than failed."""

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from services.notifications.sending.smtp import Relay, SendFailed, send
from shared.embedded import free_port
from tests.integration.notifications.conftest import Accepting, hello

# A login without TLS, on loopback only: aiosmtpd rightly warns about it elsewhere.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def _only_desk(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"desk", b"s3cret")
    return AuthResult(success=ok, handled=False)  # aiosmtpd then answers 235 or 535


@pytest.fixture
async def guarded() -> AsyncIterator[tuple[Accepting, int]]:
    handler, port = Accepting(), free_port()
    factory = partial(SMTP, handler, authenticator=_only_desk, auth_required=True,
                      auth_require_tls=False)  # fmt: skip
    server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", port)
    yield handler, port
    server.close()
    await server.wait_closed()


async def test_the_credentials_of_the_relay_url_log_in(guarded: tuple[Accepting, int]) -> None:
    handler, port = guarded
    await send(Relay.from_url(f"smtp://desk:s3cret@127.0.0.1:{port}", 5), hello())
    assert len(handler.received) == 1


async def test_a_refused_login_is_retried_not_failed(guarded: tuple[Accepting, int]) -> None:
    handler, port = guarded
    with pytest.raises(SendFailed) as failed:
        await send(Relay.from_url(f"smtp://desk:wrong@127.0.0.1:{port}", 5), hello())
    assert failed.value.code == 535 and failed.value.permanent is False
    assert handler.received == []
