"""Events the notifications service publishes on ``jamp.notifications.v1``.

Mail sent or given up on (keyed by the mail's id), refused inbound mail, and a requester's
reply received by e-mail (keyed by the inquiry, which the inquiries service consumes as the
requester's reply).
"""

from datetime import datetime

from shared.contracts.base import EventPayload, published_as


class _MailOutcome(EventPayload):
    mail_id: str
    event_id: str
    """The event that asked for the mail."""
    template: str
    category: str
    recipient: str
    attempts: int


@published_as("jamp.mail.sent.v1", stream="notifications")
class MailSent(_MailOutcome):
    """The relay accepted a mail; ``possible_duplicate`` when an earlier attempt may have
    been delivered too (the process stopped between sending and recording it)."""

    possible_duplicate: bool
    sent_at: datetime


@published_as("jamp.mail.failed.v1", stream="notifications")
class MailFailed(_MailOutcome):
    """A mail will not be sent: the relay refused it for good (5xx) or retries ran out."""

    code: int | None
    reason: str
    failed_at: datetime


@published_as("jamp.mail.reply_received.v1", stream="notifications")
class InquiryReplyReceived(EventPayload):
    """A requester answered an inquiry's mail; ``body`` is the reply without quoted history
    or signature. The inquiries service adds it to the conversation as the requester's."""

    inquiry_id: str
    inbound_id: str
    sender: str
    body: str
    received_at: datetime
    files_left_out: tuple[str, ...] = ()
    """Names of the files the mail carried, which mail does not bring into the inquiry
    (events carry no content; the requester uploads them through the API). Added to v1 as
    an optional field: older events parse with none."""


@published_as("jamp.mail.inbound_refused.v1", stream="notifications")
class InboundMailRefused(EventPayload):
    """Inbound mail was refused with an SMTP error (forged, expired or unmatched token,
    sender not the requester, too large)."""

    inbound_id: str
    reason: str
    code: int
    received_at: datetime
