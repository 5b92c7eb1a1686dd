"""Fixtures of the notifications tests: a real SMTP relay (aiosmtpd) on a loopback socket
that can go down and come back, the service pointed at it, and events put on the streams
as their owners publish them."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import partial
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from aiokafka import AIOKafkaProducer
from aiosmtpd.smtp import SMTP, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope

from services.notifications.app import create_app
from services.notifications.keys import INBOUND, MAILROOM
from services.notifications.settings import NotificationSettings
from shared.contracts import EventPayload
from shared.embedded import free_port
from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.support import Caller, eventually, granted, serving

MAIL_DOMAIN = "reply.desk.test"


@dataclass
class Relay:
    """An SMTP relay that keeps what it accepts; ``refuse`` makes it answer 550 per address."""

    port: int
    received: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    """Each message as it came over the wire, for what parsing would hide (encoded words)."""
    refuse: set[str] = field(default_factory=set)
    server: asyncio.Server | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: SmtpEnvelope, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: SmtpEnvelope
    ) -> str:
        message = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.raw.append(envelope.original_content or b"")
        self.received.append(message)
        return "250 OK"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            partial(SMTP, self, hostname="relay.test", decode_data=False), "127.0.0.1", self.port
        )

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.received if message["To"] == address]


@pytest.fixture
async def relay() -> AsyncIterator[Relay]:
    catcher = Relay(port=free_port())
    await catcher.start()
    yield catcher
    await catcher.stop()


@pytest.fixture
def notification_settings(settings: ServiceSettings, relay: Relay) -> NotificationSettings:
    return NotificationSettings(
        **settings.model_dump(),
        smtp_url=f"smtp://127.0.0.1:{relay.port}",
        smtp_timeout_seconds=3,
        mail_domain=MAIL_DOMAIN,
        notifications_inbound_port=0,
        notifications_poll_seconds=0.05,
        notifications_retry_base_seconds=0.1,
        notifications_retry_max_seconds=0.3,
        notifications_claim_seconds=2,
    )


@pytest.fixture
async def notifications(
    notification_settings: NotificationSettings,
) -> AsyncIterator[TestClient[Any, Any]]:
    async with serving(create_app, notification_settings) as client:
        yield client


@pytest.fixture
async def operator(notifications: TestClient[Any, Any]) -> Caller:
    return await granted(notifications, "operator")


@pytest.fixture
async def admin(notifications: TestClient[Any, Any]) -> Caller:
    return await granted(notifications, "admin")


def inbound_port(client: TestClient[Any, Any]) -> int:
    port: int = client.app[INBOUND].sockets[0].getsockname()[1]
    return port


async def publish(
    settings: ServiceSettings, *events: tuple[EventPayload, str] | Envelope
) -> list[Envelope]:
    """Put events on their streams as their owners would (payload with subject, or an
    envelope exactly as it is, for redelivery)."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    sent = []
    try:
        for event in events:
            if isinstance(event, Envelope):
                envelope = event
            else:
                payload, subject = event
                envelope = Envelope.wrap(payload, source=payload.stream, subject=subject)
            stream = envelope.payload().stream
            await producer.send_and_wait(
                Topics(settings.topic_prefix).of(stream),
                envelope.to_bytes(),
                key=envelope.subject.encode(),
                headers=envelope.kafka_headers(),
            )
            sent.append(envelope)
    finally:
        await producer.stop()
    return sent


async def mail_to(relay: Relay, address: str, count: int = 1) -> list[EmailMessage]:
    async def arrived() -> list[EmailMessage] | None:
        found = relay.to(address)
        return found if len(found) >= count else None

    return await eventually(arrived, timeout=30)


async def known(client: TestClient[Any, Any], *keys: str) -> None:
    """Wait until the service's directory holds these contacts: streams are ordered per
    topic only, and a test's meeting must not overtake the proposal it names."""
    directory = client.app[MAILROOM].directory

    async def present() -> bool:
        return all([await directory.get(key) is not None for key in keys])

    await eventually(present, timeout=30)


async def ledger_rows(admin: Caller, address: str) -> list[dict[str, Any]]:
    """The sent-mail ledger's rows for one recipient (a filter only admins may use)."""
    response = await admin.get("/mail", recipient=address, limit=50)
    assert response.status == 200, await response.text()
    rows: list[dict[str, Any]] = (await response.json())["items"]
    return rows


class Accepting:
    """An aiosmtpd handler that takes every message and notes whether it came over TLS."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.tls: list[bool] = []

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: SmtpEnvelope
    ) -> str:
        assert server.transport is not None
        self.received.append(envelope.original_content or b"")
        self.tls.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 OK"


def hello() -> EmailMessage:
    """The smallest message a relay accepts."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "desk@d.test", "a@x.test", "Hello"
    message.set_content("Hello")
    return message
