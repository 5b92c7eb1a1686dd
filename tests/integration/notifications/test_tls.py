"""Mail over TLS: to a relay that insists on STARTTLS or speaks TLS from the first byte,
verified by the configured CA; and the inbound listener offers STARTTLS when it has a
certificate."""

import asyncio
import ssl
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
import trustme
from aiohttp.test_utils import TestClient
from aiosmtpd.smtp import SMTP

from services.notifications.app import create_app
from services.notifications.sending.smtp import Relay, SendFailed, send
from services.notifications.settings import NotificationSettings
from shared.embedded import free_port
from tests.integration.notifications.conftest import Accepting, hello, inbound_port
from tests.support import serving


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def _server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
async def tls_relay(
    ca: trustme.CA, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[Accepting, int]]:
    handler, port, context = Accepting(), free_port(), _server_context(ca)
    if request.param == "starttls":
        factory = partial(SMTP, handler, tls_context=context, require_starttls=True)
        server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", port)
    else:
        factory = partial(SMTP, handler)
        server = await asyncio.get_running_loop().create_server(
            factory, "127.0.0.1", port, ssl=context
        )
    yield handler, port
    server.close()
    await server.wait_closed()


@pytest.mark.parametrize(
    ("tls_relay", "scheme"), [("starttls", "smtp://127.0.0.1:{}?starttls=required"),
                          ("implicit", "smtps://127.0.0.1:{}")], indirect=["tls_relay"],
)  # fmt: skip
async def test_mail_goes_encrypted_to_a_relay_verified_by_the_configured_ca(
    tls_relay: tuple[Accepting, int], scheme: str, ca_file: str
) -> None:
    handler, port = tls_relay
    await send(Relay.from_url(scheme.format(port), 5, ca_file), hello())
    assert handler.tls == [True]


@pytest.mark.parametrize("tls_relay", ["starttls"], indirect=True)
async def test_a_relay_whose_certificate_does_not_verify_gets_nothing(
    tls_relay: tuple[Accepting, int],
) -> None:
    handler, port = tls_relay
    with pytest.raises(SendFailed) as failed:
        await send(Relay.from_url(f"smtp://127.0.0.1:{port}?starttls=required", 5), hello())
    assert failed.value.permanent is False  # fixed by the operator, then retried
    assert handler.tls == []


async def test_the_inbound_listener_offers_starttls_with_its_certificate(
    notification_settings: NotificationSettings, ca: trustme.CA, ca_file: str, tmp_path: Path
) -> None:
    issued = ca.issue_cert("127.0.0.1")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    settings = notification_settings.model_copy(
        update={
            "notifications_inbound_tls_cert": str(cert),
            "notifications_inbound_tls_key": str(key),
        }
    )
    client: TestClient[Any, Any]
    async with serving(create_app, settings) as client:
        smtp = aiosmtplib.SMTP(
            hostname="127.0.0.1", port=inbound_port(client), start_tls=False, cert_bundle=ca_file
        )
        await smtp.connect()
        try:
            await smtp.ehlo()
            assert smtp.supports_extension("starttls")
            response = await smtp.starttls()
            assert response.code == 220 and smtp.is_ehlo_or_helo_needed
        finally:
            await smtp.quit()
