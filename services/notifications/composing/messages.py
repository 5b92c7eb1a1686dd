"""A ledger row as an RFC 5322 message: text and HTML alternatives, the invitation as a
``text/calendar`` part, ``Reply-To`` for inquiry mail and ``List-Unsubscribe`` (RFC 2369,
one-click per RFC 8058). Pure."""

from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from services.notifications.model import Mail

HEADERS_AS_WRITTEN = policy.default.clone(max_line_length=998)
"""RFC 5322's own limit rather than 78: a header with no space to fold at (the one-click
``List-Unsubscribe`` URL with its token) is otherwise written as RFC 2047 encoded words,
which mail clients do not decode there, so unsubscribing would not work."""


def compose(mail: Mail, sender: str, domain: str, unsubscribe_url: str | None) -> EmailMessage:
    message = EmailMessage(policy=HEADERS_AS_WRITTEN)
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    # Stable across retries, so a relay or client can drop a resent duplicate.
    message["Message-ID"] = f"<{mail.mail_id}@{domain}>"
    message["References"] = f"<{mail.thread}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    if mail.ics is not None:
        message.add_alternative(
            mail.ics, subtype="calendar", params={"method": mail.ics_method or "REQUEST"}
        )
        message.add_attachment(
            mail.ics.encode(), maintype="application", subtype="ics", filename="invite.ics"
        )
    return message


def reply_address(token: str, domain: str) -> str:
    return str(Address(addr_spec=f"reply+{token}@{domain}"))
