"""Sending through the operator's relay (``JAMP_SMTP_URL``) with aiosmtplib, and telling a
transient failure (retry later) from a permanent one (record it, never retry)."""

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib


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
        await aiosmtplib.send(
            message,
            hostname=relay.hostname,
            port=relay.port,
            username=relay.username,
            password=relay.password,
            use_tls=relay.use_tls,
            start_tls=relay.start_tls,
            timeout=relay.timeout,
            cert_bundle=relay.ca_file,
        )
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


def _permanent(codes: list[int]) -> bool:
    return bool(codes) and all(code >= 500 for code in codes)


def _reason(said: str) -> str:
    # The relay's words, bounded: they may echo an address, never a whole message.
    return " ".join(said.split())[:300]
