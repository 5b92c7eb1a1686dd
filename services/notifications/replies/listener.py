"""The inbound SMTP listener (aiosmtpd) for ``JAMP_MAIL_DOMAIN``: thin, like a view.

It runs on the service's own event loop (not aiosmtpd's threaded Controller), so its use
cases share the service's MongoDB client. A bad address is refused at RCPT, a bad message
at DATA; each refusal is recorded.
"""

import asyncio
import ssl
import weakref
from functools import partial

from aiosmtpd.smtp import SMTP, Envelope, Session

from services.notifications.mailroom import Mailroom
from services.notifications.replies import inbound
from shared.logs import get_logger

log = get_logger(__name__)


MOST_REFUSALS_PER_CONNECTION = 3


class ReplyHandler:
    def __init__(self, mailroom: Mailroom) -> None:
        self.mailroom = mailroom
        # Refused recipients per connection (aiosmtpd's Session), forgotten with it.
        self.refusals: weakref.WeakKeyDictionary[Session, int] = weakref.WeakKeyDictionary()

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if envelope.rcpt_tos:
            return "452 4.5.3 one recipient per reply"
        refusals = self.refusals.get(session, 0)
        if refusals >= MOST_REFUSALS_PER_CONNECTION and server.transport is not None:
            # A sender guessing addresses: each refusal is a recorded write and an event, so
            # a connection gets a few and is then closed (after this reply), as MTAs do.
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.7.0 too many refused recipients; closing"
        try:
            inbound.inquiry_of(address, self.mailroom, self.mailroom.clock())
        except inbound.Refused as refused:
            self.refusals[session] = refusals + 1
            await inbound.refuse(envelope.mail_from or "", address, refused, self.mailroom)
            return refused.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        sender = envelope.mail_from or ""
        try:
            record = await inbound.receive(sender, envelope.rcpt_tos, content, self.mailroom)
        except inbound.Refused as refused:
            await inbound.refuse(sender, envelope.rcpt_tos[0], refused, self.mailroom)
            return refused.reply
        log.info("mail.reply_received", inbound_id=record.inbound_id, inquiry_id=record.inquiry_id)
        return "250 OK reply received"


async def start_listener(mailroom: Mailroom) -> asyncio.Server:
    settings = mailroom.settings
    factory = partial(
        SMTP,
        ReplyHandler(mailroom),
        hostname=settings.mail_domain,
        # Twice our own limit: between the two the refusal is ours and recorded; beyond it
        # aiosmtpd stops reading, so a huge message never fills the memory.
        data_size_limit=2 * settings.notifications_inbound_max_bytes,
        decode_data=False,
        tls_context=_tls(
            settings.notifications_inbound_tls_cert, settings.notifications_inbound_tls_key
        ),
    )
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        factory, host=settings.notifications_inbound_host, port=settings.notifications_inbound_port
    )


def _tls(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    """STARTTLS for senders that want it (most MX-to-MX mail does), when a certificate is set."""
    if cert is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
