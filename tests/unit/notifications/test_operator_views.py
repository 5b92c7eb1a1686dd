"""What an operator reads of the mail ledger and of inbound mail: the rows, without the
addresses and numbers in them (admins read those)."""

from datetime import UTC, datetime

from services.notifications.model import InboundRecord, MailSummary
from shared.masking import MASK

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)


def test_a_ledger_row_hides_its_recipient_and_the_addresses_in_subject_and_error() -> None:
    row = MailSummary(
        mail_id="m-1", template="inquiry_answered", category="inquiries",
        recipient="lee@example.org", subject="Answer for lee@example.org, tel. +84 236 3822 123",
        status="failed", due_at=NOW, code=550,
        last_error="550 5.1.1 <lee@example.org>: mailbox unavailable",
    )  # fmt: skip
    shown = row.masked()
    assert shown.recipient == MASK
    assert shown.subject == f"Answer for {MASK}, tel. {MASK}"
    assert shown.last_error == f"550 5.1.1 <{MASK}>: mailbox unavailable"
    assert (shown.mail_id, shown.status, shown.code) == ("m-1", "failed", 550)


def test_an_inbound_record_hides_who_wrote_what_to_whom() -> None:
    record = InboundRecord(
        inbound_id="in-1", received_at=NOW, sender="eve@example.net",
        recipient="r+token@desk.example", inquiry_id=None, accepted=False,
        reason="eve@example.net is not the requester", code=550, body="Hello",
    )  # fmt: skip
    shown = record.masked()
    assert (shown.sender, shown.recipient, shown.body) == (MASK, MASK, None)
    assert shown.reason == f"{MASK} is not the requester"
    assert (shown.accepted, shown.code) == (False, 550)
