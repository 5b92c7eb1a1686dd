"""Sending through the operator's relay (``JAMP_SMTP_URL``) with aiosmtplib, and telling a
transient failure (retry later) from a permanent one (record it, never retry)."""

import copy
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from aiosmtplib.email import extract_recipients, extract_sender

from services.notifications.composing.messages import HEADERS_AS_WRITTEN


@dataclass(frozen=True)
class Relay:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool | None
    """None: STARTTLS when the server offers it; True: required."""
    timeout: float
    ca_file: str | None = None
    """Verify the relay's certificate by this PEM bundle instead of the system's."""

    @classmethod
    def from_url(cls, url: str, timeout: float, ca_file: str | None = None) -> "Relay":
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("JAMP_SMTP_URL must be smtp://host:port or smtps://host:port")
        required = parse_qs(parts.query).get("starttls", [""])[0] == "required"
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            start_tls=True if required else None,
            timeout=timeout,
            ca_file=ca_file,
        )


class SendFailed(Exception):
    def __init__(self, reason: str, code: int | None, permanent: bool) -> None:
        super().__init__(reason)
        self.reason, self.code, self.permanent = reason, code, permanent


async def send(relay: Relay, message: EmailMessage) -> None:
    """Hand the message to the relay; SendFailed says whether trying again can help."""
    try:
        client = aiosmtplib.SMTP(
            hostname=relay.hostname,
            port=relay.port,
            username=relay.username,
            password=relay.password,
            use_tls=relay.use_tls,
            start_tls=relay.start_tls,
            timeout=relay.timeout,
            cert_bundle=relay.ca_file,
        )
        async with client:
            await _hand_over(client, message)
    except (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPSenderRefused) as relay_setup:
        # Our credentials or our sender address, not this mail: every mail would fail the
        # same way until the operator fixes the relay settings, so keep it and retry.
        said = f"{relay_setup.code} {relay_setup.message}"
        raise SendFailed(_reason(said), relay_setup.code, False) from relay_setup
    except aiosmtplib.SMTPRecipientsRefused as refused:
        codes = [error.code for error in refused.recipients]
        said = "; ".join(f"{error.code} {error.message}" for error in refused.recipients)
        raise SendFailed(_reason(said), min(codes, default=None), _permanent(codes)) from refused
    except aiosmtplib.SMTPResponseException as response:
        said = f"{response.code} {response.message}"
        raise SendFailed(_reason(said), response.code, response.code >= 500) from response
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        raise SendFailed(f"relay unreachable: {type(error).__name__}", None, False) from error


async def _hand_over(client: aiosmtplib.SMTP, message: EmailMessage) -> None:
    """``send_message`` as aiosmtplib does it, but with headers as composed (unfolded up to
    RFC 5322's 998 characters, ``HEADERS_AS_WRITTEN``):
    aiosmtplib writes with ``email.policy.SMTP``, which folds headers at 78 characters, and
    so turned the one-click ``List-Unsubscribe`` URL into RFC 2047 encoded words (which no
    client decodes there) and moved spaces in Japanese subjects."""
    sender = extract_sender(message)
    recipients = extract_recipients(message)
    if sender is None or not recipients:
        raise ValueError("a mail needs From and To")
    utf8 = not (sender + "".join(recipients)).isascii()
    options = ["SMTPUTF8"] if utf8 else []
    eight_bit = client.supports_extension("8BITMIME")
    if eight_bit:
        options.append("BODY=8BITMIME")
    written = copy.copy(message)
    del written["Bcc"]
    style = (policy.SMTPUTF8 if utf8 else policy.SMTP).clone(
        max_line_length=HEADERS_AS_WRITTEN.max_line_length,
        cte_type="8bit" if eight_bit else "7bit",
    )
    await client.sendmail(sender, recipients, written.as_bytes(policy=style), mail_options=options)


def _permanent(codes: list[int]) -> bool:
    return bool(codes) and all(code >= 500 for code in codes)


def _reason(said: str) -> str:
    # The relay's words, bounded: they may echo an address, never a whole message.
    return " ".join(said.split())[:300]
