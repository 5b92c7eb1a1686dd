"""Mail as the ledger keeps it, recipients, categories and the rules of sending. Pure: no I/O.

A mail's life: ``pending`` (due at ``due_at``) → ``sending`` (claimed by one dispatcher until
``claimed_until``) → ``sent`` | ``failed``; a transient failure puts it back to ``pending``
with a later ``due_at``. A claim whose holder vanished is taken over, and that attempt is
marked ``possible_duplicate``: the relay may already have the earlier one. Mail whose
category the recipient turned off is kept as ``suppressed``; a reminder made moot by a
later event is ``superseded``.
"""

import hashlib
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.backoff import doubling_pause
from shared.errors import DomainError
from shared.masking import MASK, mask_optional_text, mask_text

Category = Literal["inquiries", "proposals", "matches", "meetings", "account"]
OPTIONAL: tuple[Category, ...] = ("inquiries", "proposals", "matches", "meetings")
"""Categories a recipient may turn off; account and security mail always goes out."""
MailStatus = Literal["pending", "sending", "sent", "failed", "suppressed", "superseded"]
Language = Literal["en", "ja"]
LANGUAGES: tuple[Language, ...] = ("en", "ja")


class TemplateNotFound(DomainError):
    pass


class MailNotFound(DomainError):
    pass


class InvalidToken(DomainError):
    pass


def language_of(wanted: str | None) -> Language:
    """The recipient's language when we have templates for it, English otherwise."""
    return "ja" if wanted == "ja" else "en"


class Recipient(BaseModel):
    model_config = ConfigDict(frozen=True)

    address: str
    name: str = ""
    language: Language = "en"
    time_zone: str = "UTC"


class Invite(BaseModel):
    """An RFC 5545 invitation or cancellation attached to a meeting mail."""

    model_config = ConfigDict(frozen=True)

    method: Literal["REQUEST", "CANCEL"]
    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    location: str
    url: str | None = None
    description: str
    attendees: list[Recipient]


class PlannedMail(BaseModel):
    """What an event asks for: one template to one recipient, sent at ``due_at`` or now."""

    model_config = ConfigDict(frozen=True)

    template: str
    category: Category
    recipient: Recipient
    context: dict[str, object]
    reply_to_inquiry: str | None = None
    """Outgoing inquiry mail: replies to it come back as the requester's reply."""
    thread: str
    """The aggregate a mail belongs to; mail of one thread shares its ``References``."""
    invite: Invite | None = None
    due_at: datetime | None = None
    group: str | None = None
    """Pending mail of one group is superseded together (a moved meeting's old reminder)."""


class MailSummary(BaseModel):
    """A ledger row as operators list it (no bodies)."""

    mail_id: str
    template: str
    category: Category
    recipient: str
    subject: str
    status: MailStatus
    attempts: int = 0
    possible_duplicate: bool = False
    due_at: datetime
    sent_at: datetime | None = None
    code: int | None = None
    last_error: str | None = None

    def masked(self) -> "MailSummary":
        """As operators see it: not whom it was for, nor an address or number in the subject
        (a requester's own words) or in the relay's error (which often quotes the mailbox)."""
        return self.model_copy(
            update={
                "recipient": MASK,
                "subject": mask_text(self.subject),
                "last_error": mask_optional_text(self.last_error),
            }
        )


class Mail(MailSummary):
    """A ledger row: one (event, template, recipient), rendered, and where its sending is."""

    event_id: str
    correlation_id: str | None = None
    """The asking event's conversation: the mail's own events join it."""
    language: Language
    text: str
    html: str
    ics: str | None = None
    ics_method: str | None = None
    reply_to: str | None = None
    thread: str
    group: str | None = None
    created_at: datetime
    claimed_until: datetime | None = None
    failed_at: datetime | None = None


def mail_id_of(event_id: str, template: str, address: str) -> str:
    """The ledger's unique key: the same event never mails the same person twice."""
    digest = hashlib.sha256(f"{event_id}\n{template}\n{address.lower()}".encode()).hexdigest()
    return digest[:32]


class Backoff(BaseModel):
    base_seconds: float
    max_seconds: float
    give_up_after: timedelta

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=doubling_pause(attempts, self.base_seconds, self.max_seconds))

    def gives_up(self, created_at: datetime, now: datetime) -> bool:
        return now - created_at >= self.give_up_after


class Preferences(BaseModel):
    """Per category on (default) or off; account mail cannot be turned off."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"inquiries": True, "proposals": True,
                                         "matches": False, "meetings": True}]},
    )  # fmt: skip

    inquiries: bool = True
    proposals: bool = True
    matches: bool = True
    meetings: bool = True

    def allows(self, category: Category) -> bool:
        return category not in OPTIONAL or bool(getattr(self, category))


class PreferencesView(BaseModel):
    address: str
    preferences: Preferences
    always_on: list[str] = Field(default=["account", "security"])


class InboundRecord(BaseModel):
    """Mail that reached the inbound listener: accepted as a reply, or refused and why."""

    inbound_id: str
    received_at: datetime
    sender: str
    recipient: str
    inquiry_id: str | None
    accepted: bool
    reason: str | None = None
    code: int
    body: str | None = None

    def masked(self) -> "InboundRecord":
        """As operators see it: who wrote to whom and what they wrote are for admins."""
        return self.model_copy(
            update={
                "sender": MASK,
                "recipient": MASK,
                "body": None,
                "reason": mask_optional_text(self.reason),
            }
        )
