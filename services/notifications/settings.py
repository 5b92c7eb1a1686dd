"""The notifications service's own knobs, on top of the settings every service shares."""

import hashlib
import hmac
from datetime import datetime

from pydantic import Field, SecretStr

from shared.settings import ServiceSettings


class NotificationSettings(ServiceSettings):
    """``JAMP_SMTP_*``, ``JAMP_MAIL_*`` and ``JAMP_NOTIFICATIONS_*`` environment variables.

    The relay is the operator's choice (``JAMP_SMTP_URL``), never a tenant's: mail goes to
    the configured relay and nowhere else.
    """

    # smtp://[user:password@]host:port (STARTTLS when offered, or forced with
    # ?starttls=required), smtps://… for TLS from the first byte.
    smtp_url: SecretStr = SecretStr("smtp://127.0.0.1:1025")
    smtp_timeout_seconds: float = Field(default=30, gt=0)
    # PEM bundle to verify the relay's certificate by (an internal CA); unset: the system's.
    smtp_ca_file: str | None = None
    mail_from: str = "JAMP Desk <desk@jamp.localhost>"
    # Replies come back to reply+<token>@<domain>, which the inbound listener accepts.
    mail_domain: str = "reply.jamp.localhost"
    # The desk's public address, for unsubscribe and preference links in every mail.
    notifications_public_url: str = "http://127.0.0.1:8106"
    # Where requesters download a reply's files: the inquiries service's public address.
    # Each mailed link is signed (shared/signed_links.py) and works for file_link_days.
    inquiries_public_url: str = "http://127.0.0.1:8103"
    notifications_file_link_days: float = Field(default=30, gt=0)
    # Signs reply-to and unsubscribe tokens; the same for every replica. Unset: derived from
    # the key pepper (so a deployment needs no second secret; changing either invalidates
    # the reply addresses and links of mail already sent).
    notifications_secret: SecretStr | None = None
    notifications_reply_token_days: float = Field(default=60, gt=0)
    # The inbound SMTP listener for mail_domain; unset turns it off, 0 takes a free port.
    notifications_inbound_host: str = "127.0.0.1"
    notifications_inbound_port: int | None = Field(default=None, ge=0, le=65535)
    notifications_inbound_max_bytes: int = Field(default=256 * 1024, ge=1024)
    # PEM certificate chain and key: the listener then offers STARTTLS (MX hosts should).
    notifications_inbound_tls_cert: str | None = None
    notifications_inbound_tls_key: str | None = None
    notifications_hourly_cap: int = Field(default=30, ge=1)
    notifications_retry_base_seconds: float = Field(default=5, gt=0)
    notifications_retry_max_seconds: float = Field(default=1800, gt=0)
    # Transient failures are retried for this long before the mail is given up as failed.
    notifications_give_up_hours: float = Field(default=72, gt=0)
    notifications_poll_seconds: float = Field(default=1.0, gt=0)
    # A claimed mail whose sender vanished (crash) is taken over after this long.
    notifications_claim_seconds: float = Field(default=120, gt=0)
    notifications_expiry_notice_hours: float = Field(default=48, gt=0)
    notifications_reminder_hours: float = Field(default=24, gt=0)
    # Events older than this only teach contacts and send no mail: set it to the moment of
    # the first deployment, so that a history read from the streams' start mails nobody.
    notifications_since: datetime | None = None
    # The same variable the matching service reads: when an unanswered request expires.
    matching_response_days: float = Field(default=14, gt=0)

    def mail_secret(self) -> str:
        if self.notifications_secret is not None:
            return self.notifications_secret.get_secret_value()
        return hmac.new(self.pepper().encode(), b"jamp-notifications", hashlib.sha256).hexdigest()

    @classmethod
    def of(cls, settings: ServiceSettings) -> "NotificationSettings":
        """The shared settings a caller built, with the notification defaults (or env) added."""
        if isinstance(settings, cls):
            return settings
        return cls(**settings.model_dump())
