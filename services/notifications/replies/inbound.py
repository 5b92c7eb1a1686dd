"""Use cases of inbound mail: a requester's reply becomes the requester's reply on the
inquiry; anything else is refused with an SMTP error and recorded (and published)."""

import hashlib
import re
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from services.notifications.mailroom import Mailroom
from services.notifications.model import InboundRecord, InvalidToken
from services.notifications.replies.text import (
    MOST_CHARACTERS,
    UnreadableText,
    attachment_names,
    strip_reply,
    text_of,
)
from services.notifications.tokens import read_reply_token
from shared.contracts.notifications import InboundMailRefused, InquiryReplyReceived
from shared.mongo import new_id
from shared.platform import Trace, unit_of_work

TRACE = Trace(None, None, actor="notifications:inbound")


class Refused(Exception):
    """Inbound mail we do not take, with the SMTP reply that says so."""

    def __init__(self, code: int, status: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason
        self.reply = f"{code} {status} {reason}"


def inquiry_of(recipient: str, mailroom: Mailroom, now: datetime) -> str:
    """The inquiry a ``reply+<token>@<domain>`` address stands for, or Refused."""
    local, _, domain = recipient.rpartition("@")
    tag, _, token = local.partition("+")
    if domain.lower() != mailroom.settings.mail_domain.lower() or tag.lower() != "reply":
        raise Refused(550, "5.1.1", "no such mailbox")
    try:
        return read_reply_token(mailroom.secret, token, now)
    except InvalidToken as invalid:
        raise Refused(550, "5.7.1", str(invalid)) from invalid


async def receive(
    mail_from: str, recipients: list[str], content: bytes, mailroom: Mailroom
) -> InboundRecord:
    """Check a message and publish it as the requester's reply; Refused when it is not one."""
    now = mailroom.clock()
    if len(content) > mailroom.settings.notifications_inbound_max_bytes:
        raise Refused(552, "5.3.4", "message too large")
    message = message_from_bytes(content, policy=policy.default)
    inquiry_id = inquiry_of(recipients[0], mailroom, now)
    if automatic(mail_from, message):
        raise Refused(550, "5.7.1", "an automatic reply (RFC 3834) is not the requester's")
    # The header as sent: the parsed one keeps only the first address of a malformed list.
    sender = only_sender(", ".join(v for k, v in message.raw_items() if k.lower() == "from"))
    inquiry = await mailroom.directory.get(f"inquiry:{inquiry_id}")
    if inquiry is None:
        raise Refused(550, "5.1.1", "unknown inquiry")
    # The From address, not the envelope's MAIL FROM: relays and forwarders rewrite the latter
    # (bounce addresses, SRS), and neither is proof of identity on its own; the token is.
    if sender not in await requester_addresses(inquiry, mailroom):
        raise Refused(550, "5.7.1", "sender is not the requester")
    try:
        body = strip_reply(text_of(message))
    except UnreadableText as unreadable:
        raise Refused(550, "5.6.0", str(unreadable)) from unreadable
    if not body:
        raise Refused(550, "5.6.0", "no reply text above the quoted message")
    if len(body) > MOST_CHARACTERS:
        raise Refused(552, "5.3.4", f"a reply by mail holds at most {MOST_CHARACTERS:,} characters")
    record = InboundRecord(
        inbound_id=inbound_id_of(message, sender, recipients[0]), received_at=now,
        sender=sender, recipient=recipients[0], inquiry_id=inquiry_id, accepted=True,
        code=250, body=body,
    )  # fmt: skip
    reply = InquiryReplyReceived(
        inquiry_id=inquiry_id, inbound_id=record.inbound_id, sender=sender, body=body,
        received_at=now, files_left_out=tuple(attachment_names(message)),
    )  # fmt: skip
    async with unit_of_work(mailroom.platform, TRACE) as uow:
        if await mailroom.inbound.add(record, uow.session):
            await uow.publish(inquiry_id, reply)
    return record


AUTOMATIC_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
ADDRESS = re.compile(r"[^\s<>,;:()\"']+@[^\s<>,;:()\"']+")


def automatic(mail_from: str, message: EmailMessage) -> bool:
    """An out-of-office answer, a bounce or a list's mail (RFC 3834, and the headers older
    responders set instead): taken as the requester's reply it would reopen the inquiry
    and could loop with our own notification."""
    auto_submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    return (
        mail_from.strip("<> ") == ""  # the null sender (aiosmtpd keeps it as "<>")
        or not auto_submitted.startswith("no")
        or str(message.get("Precedence", "")).strip().lower() in AUTOMATIC_PRECEDENCE
        or any(name in message for name in ("X-Autoreply", "X-Autorespond"))
    )


def only_sender(from_header: str) -> str:
    """The one address a From header names, lower-cased. A header naming two different
    addresses ("requester@x, attacker@y", or a display name that is another address) is
    refused: a lenient parser takes the first, and the check would pass for the second."""
    named: set[str] = {address.lower() for address in ADDRESS.findall(from_header)}
    if len(named) != 1:
        raise Refused(550, "5.7.1", "the From header must name exactly one address")
    return named.pop()


def inbound_id_of(message: EmailMessage, sender: str, recipient: str) -> str:
    """The same message accepted twice is one reply: a sending server that missed our 250
    (a dropped connection) sends it again, with the same Message-ID."""
    message_id = str(message.get("Message-ID", "")).strip()
    if not message_id:
        return new_id()
    named = f"{message_id}\n{sender}\n{recipient.lower()}".encode()
    return hashlib.sha256(named).hexdigest()[:24]


async def requester_addresses(inquiry: dict[str, object], mailroom: Mailroom) -> set[str]:
    """Every address the requester may write from: the contact it gave, or its company's
    or city's contact."""
    requester = inquiry.get("requester")
    if not isinstance(requester, dict):
        return set()
    keys = [f"company:{requester.get('company_id')}", f"city:{requester.get('city_id')}"]
    contacts = [requester.get("contact")]
    for key in keys:
        contacts.append(((await mailroom.directory.get(key)) or {}).get("contact"))
    return {
        str(contact["email"]).lower()
        for contact in contacts
        if isinstance(contact, dict) and contact.get("email")
    }


async def refuse(
    mail_from: str, recipient: str, refused: Refused, mailroom: Mailroom
) -> InboundRecord:
    """Record a refusal (who, to what, why) and publish it for the operators."""
    now = mailroom.clock()
    record = InboundRecord(
        inbound_id=new_id(), received_at=now, sender=mail_from.lower(), recipient=recipient,
        inquiry_id=None, accepted=False, reason=refused.reason, code=refused.code,
    )  # fmt: skip
    event = InboundMailRefused(
        inbound_id=record.inbound_id, reason=refused.reason, code=refused.code, received_at=now
    )
    async with unit_of_work(mailroom.platform, TRACE) as uow:
        await mailroom.inbound.add(record, uow.session)
        await uow.publish(record.inbound_id, event)
    return record
