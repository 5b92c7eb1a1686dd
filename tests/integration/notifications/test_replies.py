"""Replies by e-mail become replies: the desk's answer reaches the requester with a signed
Reply-To; what the requester writes back lands in the inquiry's conversation, quoted
history and signature stripped. A forged, expired or unmatched token, a stranger's mail or
an oversized one does not."""

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from functools import partial
from typing import Any

import aiosmtplib
import pytest
from aiohttp.test_utils import TestClient

from services.inquiries.app import create_app as create_inquiries
from services.inquiries.settings import InquirySettings
from services.notifications.keys import MAILROOM
from services.notifications.settings import NotificationSettings
from services.notifications.tokens import reply_token
from tests.integration.inquiries.conftest import inquiry, knows_the_ascn_cities
from tests.integration.notifications.conftest import (
    MAIL_DOMAIN,
    Relay,
    inbound_port,
    known,
    mail_to,
)
from tests.integration.notifications.events import new_id
from tests.support import Caller, eventually, granted, serving

REQUESTER = "lan@riverfund.example"


@pytest.fixture
async def desk(notification_settings: NotificationSettings) -> Any:
    factory = partial(create_inquiries, inquiry_settings=InquirySettings(sla_tick_seconds=0.2))
    async with serving(factory, notification_settings) as client:
        await knows_the_ascn_cities(client)
        yield client


async def _answered(
    desk: TestClient[Any, Any], notifications: TestClient[Any, Any], relay: Relay
) -> tuple[Caller, str, EmailMessage]:
    """An organisation's inquiry, answered by the VN desk; the answer's mail."""
    vn = await granted(desk, "desk:VN")
    submission = inquiry(requester={
        "kind": "organisation", "organisation": "River Fund",
        "contact": {"name": "Tran Thi Lan", "email": REQUESTER},
    })  # fmt: skip
    response = await vn.post("/inquiries", submission)
    assert response.status == 201, await response.text()
    inquiry_id: str = (await response.json())["inquiry_id"]
    await known(notifications, f"inquiry:{inquiry_id}")
    answer = {"body": "Three vendors fit: A, B and C."}
    assert (await vn.post(f"/inquiries/{inquiry_id}/replies", answer)).status == 201
    [mail] = await mail_to(relay, REQUESTER)
    return vn, inquiry_id, mail


def _reply(mail: EmailMessage, sender: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = str(mail["Reply-To"])
    message["Subject"] = f"Re: {mail['Subject']}"
    message.set_content(text)
    return message


async def _messages(vn: Caller, inquiry_id: str) -> list[dict[str, Any]]:
    response = await vn.get(f"/inquiries/{inquiry_id}/messages")
    items: list[dict[str, Any]] = (await response.json())["items"]
    return items


async def _the_requesters_reply(vn: Caller, inquiry_id: str) -> dict[str, Any]:
    """The one message of the requester's side, once the reply by mail has landed."""

    async def requester_said() -> list[dict[str, Any]] | None:
        said = [m for m in await _messages(vn, inquiry_id) if m["side"] == "requester"]
        return said or None

    [reply] = await eventually(requester_said, timeout=30)
    return reply


async def test_an_emailed_reply_lands_in_the_inquiry_conversation_as_the_requesters(
    desk: TestClient[Any, Any], notifications: TestClient[Any, Any], relay: Relay
) -> None:
    vn, inquiry_id, mail = await _answered(desk, notifications, relay)
    reply_to = str(mail["Reply-To"])
    assert reply_to.startswith("reply+") and reply_to.endswith(f"@{MAIL_DOMAIN}")
    assert len(reply_to.split("@")[0]) <= 64  # RFC 5321 local-part limit
    text = (
        "Thank you, please introduce B.\n\n"
        "On Mon, 2 Mar 2026 at 10:00, JAMP Desk <desk@jamp.localhost> wrote:\n"
        "> Three vendors fit: A, B and C.\n"
        "-- \nTran Thi Lan\nRiver Fund\n"
    )
    await aiosmtplib.send(
        _reply(mail, f"Tran Thi Lan <{REQUESTER}>", text),
        hostname="127.0.0.1", port=inbound_port(notifications), sender=REQUESTER,
    )  # fmt: skip

    reply = await _the_requesters_reply(vn, inquiry_id)
    assert reply["body"] == "Thank you, please introduce B."


async def test_files_attached_to_a_reply_are_named_in_the_conversation_not_dropped_silently(
    desk: TestClient[Any, Any], notifications: TestClient[Any, Any], relay: Relay
) -> None:
    vn, inquiry_id, mail = await _answered(desk, notifications, relay)
    message = _reply(mail, REQUESTER, "The budget is attached.")
    message.add_attachment(b"%PDF-1.4 budget", maintype="application", subtype="pdf",
                           filename="Budget 2027\u202egpj.pdf")  # fmt: skip
    message.add_attachment(b"city,budget\n", maintype="text", subtype="csv",
                           filename="../lines.csv")  # fmt: skip
    await aiosmtplib.send(
        message, hostname="127.0.0.1", port=inbound_port(notifications), sender=REQUESTER
    )

    reply = await _the_requesters_reply(vn, inquiry_id)
    assert reply["body"].startswith("The budget is attached.\n\n[Files attached to the e-mail")
    # Names are the sender's words: a right-to-left override and a path are made harmless.
    assert "not added to the inquiry: Budget 2027_gpj.pdf, lines.csv." in reply["body"]
    assert reply["attachments"] == []


async def test_the_same_mail_accepted_twice_is_one_reply(
    desk: TestClient[Any, Any], notifications: TestClient[Any, Any], relay: Relay
) -> None:
    vn, inquiry_id, mail = await _answered(desk, notifications, relay)
    message = _reply(mail, REQUESTER, "Yes, B please.")
    message["Message-ID"] = make_msgid(domain="riverfund.example")
    # The sending server missed our first 250 (its connection dropped) and sends it again.
    for _ in range(2):
        await aiosmtplib.send(
            message, hostname="127.0.0.1", port=inbound_port(notifications), sender=REQUESTER
        )

    reply = await _the_requesters_reply(vn, inquiry_id)
    assert reply["body"] == "Yes, B please."
    operator = await granted(notifications, "operator")
    records = (await (await operator.get("/inbound")).json())["items"]
    assert [record["accepted"] for record in records] == [True]


async def test_a_forged_token_is_refused_with_an_smtp_error_and_recorded(
    desk: TestClient[Any, Any], notifications: TestClient[Any, Any], relay: Relay
) -> None:
    vn, inquiry_id, mail = await _answered(desk, notifications, relay)
    local = str(mail["Reply-To"]).split("@")[0]
    forged = local[:-4] + ("aaaa" if not local.endswith("aaaa") else "bbbb")
    message = _reply(mail, REQUESTER, "Please send the contracts.")
    message.replace_header("To", f"{forged}@{MAIL_DOMAIN}")

    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await aiosmtplib.send(
            message, hostname="127.0.0.1", port=inbound_port(notifications), sender=REQUESTER
        )
    assert refused.value.recipients[0].code == 550
    operator = await granted(notifications, "operator")
    records = (await (await operator.get("/inbound")).json())["items"]
    assert [(r["accepted"], r["reason"]) for r in records] == [(False, "forged token")]
    assert [m["side"] for m in await _messages(vn, inquiry_id)] == ["desk"]


async def test_mail_from_someone_other_than_the_requester_is_refused(
    desk: TestClient[Any, Any], notifications: TestClient[Any, Any], relay: Relay
) -> None:
    vn, inquiry_id, mail = await _answered(desk, notifications, relay)
    stranger = "mallory@elsewhere.example"

    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await aiosmtplib.send(
            _reply(mail, stranger, "Cancel everything."),
            hostname="127.0.0.1", port=inbound_port(notifications), sender=stranger,
        )  # fmt: skip
    assert refused.value.code == 550
    operator = await granted(notifications, "operator")
    records = (await (await operator.get("/inbound")).json())["items"]
    assert [r["reason"] for r in records] == ["sender is not the requester"]
    assert [m["side"] for m in await _messages(vn, inquiry_id)] == ["desk"]


async def test_an_expired_or_unmatched_token_and_an_oversized_reply_are_refused_and_recorded(
    desk: TestClient[Any, Any], notifications: TestClient[Any, Any], relay: Relay
) -> None:
    vn, inquiry_id, mail = await _answered(desk, notifications, relay)
    secret, now = notifications.app[MAILROOM].secret, datetime.now(UTC)
    port = inbound_port(notifications)
    expired = reply_token(secret, inquiry_id, now - timedelta(days=1))
    message = _reply(mail, REQUESTER, "Still interested.")
    message.replace_header("To", f"reply+{expired}@{MAIL_DOMAIN}")
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await aiosmtplib.send(message, hostname="127.0.0.1", port=port, sender=REQUESTER)
    assert refused.value.recipients[0].code == 550
    # A genuine token for an inquiry this desk does not know: refused once the mail is read.
    unmatched = reply_token(secret, new_id(), now + timedelta(days=1))
    message.replace_header("To", f"reply+{unmatched}@{MAIL_DOMAIN}")
    with pytest.raises(aiosmtplib.SMTPDataError) as unknown:
        await aiosmtplib.send(message, hostname="127.0.0.1", port=port, sender=REQUESTER)
    assert unknown.value.code == 550
    limit = notifications.app[MAILROOM].settings.notifications_inbound_max_bytes
    huge = _reply(mail, REQUESTER, "Attached below.\n" + ("x" * 76 + "\n") * (limit // 77 + 10))
    with pytest.raises(aiosmtplib.SMTPDataError) as too_large:
        await aiosmtplib.send(huge, hostname="127.0.0.1", port=port, sender=REQUESTER)
    assert too_large.value.code == 552
    operator = await granted(notifications, "operator")
    records = (await (await operator.get("/inbound")).json())["items"]
    reasons = sorted((r["accepted"], r["reason"], r["code"]) for r in records)
    assert reasons == [(False, "expired token", 550), (False, "message too large", 552),
                       (False, "unknown inquiry", 550)]  # fmt: skip
    assert [m["side"] for m in await _messages(vn, inquiry_id)] == ["desk"]


async def test_automatic_replies_and_a_from_naming_two_addresses_are_refused_and_recorded(
    desk: TestClient[Any, Any], notifications: TestClient[Any, Any], relay: Relay
) -> None:
    vn, inquiry_id, mail = await _answered(desk, notifications, relay)
    port = inbound_port(notifications)
    out_of_office = _reply(mail, REQUESTER, "I am away until Monday.")
    out_of_office["Auto-Submitted"] = "auto-replied"
    for sender in (REQUESTER, ""):  # the null sender too
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await aiosmtplib.send(out_of_office, hostname="127.0.0.1", port=port, sender=sender)
        assert refused.value.code == 550
    # From the null sender (MAIL FROM:<>), a bounce needs no header to be one.
    bounce = _reply(mail, REQUESTER, "I am away until Monday.")
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await aiosmtplib.send(bounce, hostname="127.0.0.1", port=port, sender="")
    assert refused.value.code == 550
    # Raw bytes: Python's own mail objects would rewrite this header to its first address.
    two_senders = (
        f"From: {REQUESTER} (Lan) <mallory@elsewhere.example>\r\nTo: {mail['Reply-To']}\r\n"
        "Subject: Re: the vendors\r\n\r\nCancel everything.\r\n"
    )
    with pytest.raises(aiosmtplib.SMTPDataError) as forged:
        await aiosmtplib.send(
            two_senders, hostname="127.0.0.1", port=port, sender="mallory@elsewhere.example",
            recipients=[str(mail["Reply-To"])],
        )  # fmt: skip
    assert forged.value.code == 550

    operator = await granted(notifications, "operator")
    records = (await (await operator.get("/inbound")).json())["items"]
    assert sorted(r["reason"] for r in records) == [
        *["an automatic reply (RFC 3834) is not the requester's"] * 3,
        "the From header must name exactly one address",
    ]
    assert [m["side"] for m in await _messages(vn, inquiry_id)] == ["desk"]


async def test_a_connection_guessing_addresses_is_closed_after_a_few_recorded_refusals(
    notifications: TestClient[Any, Any],
) -> None:
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=inbound_port(notifications))
    await smtp.connect()
    await smtp.mail("guesser@elsewhere.example")
    codes = []
    for guess in range(10):
        try:
            codes.append((await smtp.rcpt(f"reply+guess{guess}@{MAIL_DOMAIN}"))[0])
        except aiosmtplib.SMTPRecipientRefused as refused:
            codes.append(refused.code)
        except aiosmtplib.SMTPServerDisconnected:
            break
    smtp.close()
    assert codes[:3] == [550, 550, 550] and codes[3] == 421
    assert len(codes) == 4  # the server closed the connection after its 421
    operator = await granted(notifications, "operator")
    records = (await (await operator.get("/inbound")).json())["items"]
    assert len(records) == 3
