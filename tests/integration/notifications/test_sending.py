"""Sending that survives: redelivery sends nothing twice, an outage delays mail and loses
none, a refusal for good is recorded and published, and a recipient's choice holds."""

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient

from services.notifications.app import create_app
from services.notifications.keys import MAILROOM
from services.notifications.mailroom import Mailroom
from services.notifications.model import Mail
from services.notifications.settings import NotificationSettings
from shared.contracts.notifications import MailFailed, MailSent
from shared.contracts.proposals import ProposalStatusChanged
from shared.envelope import Envelope
from shared.topics import Topics
from tests.integration.notifications.conftest import (
    MAIL_DOMAIN,
    Relay,
    known,
    ledger_rows,
    mail_to,
    publish,
)
from tests.integration.notifications.events import (
    CITY_EMAIL,
    new_id,
    proposal_submitted,
)
from tests.support import Caller, eventually, granted, read_topic, serving


def decision(
    proposal_id: str, to_status: str = "accepted", version: int = 3
) -> ProposalStatusChanged:
    return ProposalStatusChanged(
        proposal_id=proposal_id, version=version, from_status="under_review",
        to_status=to_status, by="admin", reason=None if to_status == "accepted" else "no budget",
    )  # fmt: skip


async def _proposal(client: TestClient[Any, Any], settings: NotificationSettings) -> str:
    proposal_id = new_id()
    await publish(settings, (proposal_submitted(proposal_id), proposal_id))
    await known(client, f"proposal:{proposal_id}")
    return proposal_id


async def _events_of(settings: NotificationSettings, count: int) -> list[Envelope]:
    topic = Topics(settings.topic_prefix).of("notifications")
    return [
        Envelope.from_bytes(record.value) for record in await read_topic(settings, topic, count)
    ]


async def test_a_redelivered_event_sends_nothing_twice(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
) -> None:
    proposal_id = await _proposal(notifications, notification_settings)
    [accepted] = await publish(notification_settings, (decision(proposal_id), proposal_id))
    # The same record again (a producer retry, a replay), then a later event of the same
    # proposal: once that one's mail is out, the duplicate has been consumed before it.
    await publish(
        notification_settings, accepted, (decision(proposal_id, "rejected", 4), proposal_id)
    )
    mails = await mail_to(relay, CITY_EMAIL, 2)

    subjects = [str(message["Subject"]) for message in relay.to(CITY_EMAIL)]
    assert len(relay.to(CITY_EMAIL)) == 2, subjects
    assert "accepted" in str(mails[0]["Subject"]) and "rejected" in str(mails[1]["Subject"])
    sent = [envelope for envelope in await _events_of(notification_settings, 2)]
    assert {envelope.type for envelope in sent} == {MailSent.event_type}
    # Each mail's event joins the conversation of the event that asked for it.
    assert accepted.correlationid in {envelope.correlationid for envelope in sent}
    assert not any(envelope.data["possible_duplicate"] for envelope in sent)


async def test_an_smtp_outage_delays_mail_and_loses_none(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    operator: Caller,
    admin: Caller,
) -> None:
    proposal_id = await _proposal(notifications, notification_settings)
    await relay.stop()
    await publish(notification_settings, (decision(proposal_id), proposal_id))

    async def retried() -> dict[str, Any] | None:
        items = await ledger_rows(admin, CITY_EMAIL)
        waiting = [item for item in items if item["status"] == "pending" and item["attempts"] >= 2]
        return waiting[0] if waiting else None

    waiting = await eventually(retried, timeout=30)
    assert waiting["last_error"].startswith("relay unreachable")
    await relay.start()
    [delivered] = await mail_to(relay, CITY_EMAIL)

    assert "accepted" in str(delivered["Subject"])

    async def marked() -> dict[str, Any] | None:
        row: dict[str, Any] = await (await admin.get(f"/mail/{waiting['mail_id']}")).json()
        return row if row["status"] != "sending" else None  # marked right after the relay's OK

    row = await eventually(marked)
    assert row["status"] == "sent" and row["attempts"] >= 3
    assert len(relay.to(CITY_EMAIL)) == 1


async def test_a_permanent_refusal_is_recorded_published_and_never_retried(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    operator: Caller,
    admin: Caller,
) -> None:
    relay.refuse.add(CITY_EMAIL)
    proposal_id = await _proposal(notifications, notification_settings)
    await publish(notification_settings, (decision(proposal_id), proposal_id))

    [failed] = await _events_of(notification_settings, 1)
    assert failed.type == MailFailed.event_type
    assert failed.data["code"] == 550 and failed.data["attempts"] == 1
    row = await (await admin.get(f"/mail/{failed.data['mail_id']}")).json()
    assert row["status"] == "failed" and row["attempts"] == 1
    assert row["recipient"] == CITY_EMAIL and row["last_error"].startswith("550")
    # Operators see the row, not whom it was for; the mail itself is for admins.
    [listed] = [
        row
        for row in (await (await operator.get("/mail", limit=50)).json())["items"]
        if row["mail_id"] == failed.data["mail_id"]
    ]
    assert listed["recipient"] == "***" and listed["status"] == "failed"
    assert (await operator.get(f"/mail/{failed.data['mail_id']}")).status == 403
    # Nor may they ask whether an address was mailed.
    probe = await operator.get("/mail", recipient=CITY_EMAIL)
    assert probe.status == 403 and (await probe.json())["field"] == "query.recipient"
    assert relay.to(CITY_EMAIL) == []


async def test_the_unsubscribe_link_in_a_mail_asks_then_unsubscribes(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
) -> None:
    proposal_id = await _proposal(notifications, notification_settings)
    await publish(notification_settings, (decision(proposal_id), proposal_id))
    [first] = await mail_to(relay, CITY_EMAIL)
    link = urlsplit(str(first["List-Unsubscribe"]).strip("<>"))
    token = parse_qs(link.query)["token"][0]
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}

    # Opening the link (as a person, or a link scanner) changes nothing: the page asks.
    page = await notifications.get(f"/unsubscribe?{link.query}", headers=browser)
    assert page.status == 200 and page.content_type == "text/html"
    text = await page.text()
    assert '<form method="post"' in text and CITY_EMAIL in text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    view = await (await notifications.get("/preferences", params={"token": token})).json()
    assert view["preferences"]["proposals"] is True

    # Its button posts the form to the same address.
    form = {**browser, "Content-Type": "application/x-www-form-urlencoded"}
    done = await notifications.post(
        f"/unsubscribe?{link.query}", data="List-Unsubscribe=One-Click", headers=form
    )
    assert done.status == 200 and "No more proposals mails" in await done.text()
    view = await (await notifications.get("/preferences", params={"token": token})).json()
    assert view["preferences"]["proposals"] is False
    forged = await notifications.get(f"/unsubscribe?token=x{token}&category=proposals")
    assert forged.status == 403


async def test_one_click_unsubscribe_stops_that_category_and_the_ledger_says_so(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    admin: Caller,
) -> None:
    proposal_id = await _proposal(notifications, notification_settings)
    await publish(notification_settings, (decision(proposal_id), proposal_id))
    [first] = await mail_to(relay, CITY_EMAIL)
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = urlsplit(str(first["List-Unsubscribe"]).strip("<>"))
    # As written on the wire: a plain URL, not RFC 2047 encoded words no client decodes.
    [raw] = [r for r in relay.raw if b"List-Unsubscribe: <http" in r]
    assert b"=?utf-8?" not in raw.split(b"List-Unsubscribe:")[1].split(b"\r\n")[0]
    assert link.path == "/unsubscribe" and parse_qs(link.query)["category"] == ["proposals"]

    # As mail clients send it (RFC 8058): a form body naming the one-click action.
    response = await notifications.post(
        f"/unsubscribe?{link.query}", data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert response.status == 200, await response.text()
    token = parse_qs(link.query)["token"][0]
    view = await (await notifications.get("/preferences", params={"token": token})).json()
    assert view["preferences"]["proposals"] is False and view["preferences"]["matches"] is True
    await publish(notification_settings, (decision(proposal_id, "rejected", 4), proposal_id))

    async def suppressed() -> bool:
        items = await ledger_rows(admin, CITY_EMAIL)
        return any(item["status"] == "suppressed" for item in items)

    await eventually(suppressed)
    assert len(relay.to(CITY_EMAIL)) == 1


async def test_the_desks_own_addresses_given_as_a_contact_are_never_mailed(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    admin: Caller,
) -> None:
    own = f"reply+anything@{MAIL_DOMAIN}"  # our listener would take it, or answer it
    submitted = proposal_submitted(new_id())
    contact = submitted.proposal.contact.model_copy(update={"email": own})
    submitted = submitted.model_copy(
        update={"proposal": submitted.proposal.model_copy(update={"contact": contact})}
    )
    proposal_id = submitted.proposal.proposal_id
    await publish(notification_settings, (submitted, proposal_id))
    await known(notifications, f"proposal:{proposal_id}")
    await publish(notification_settings, (decision(proposal_id), proposal_id))

    async def suppressed() -> list[dict[str, Any]] | None:
        rows = await ledger_rows(admin, own)
        return rows or None

    assert [row["status"] for row in await eventually(suppressed)] == ["suppressed"]
    assert relay.to(own) == []


async def test_a_forged_preferences_token_is_refused(notifications: TestClient[Any, Any]) -> None:
    response = await notifications.put(
        "/preferences", params={"token": "c29tZW9uZUBleGFtcGxlLmNvbQ.AAAAAAAAAAAAAA"},
        json={"proposals": False},
    )  # fmt: skip
    assert response.status == 403
    assert response.content_type == "application/problem+json"


async def test_operators_preview_every_template_in_japanese(
    notifications: TestClient[Any, Any], operator: Caller
) -> None:
    names = (await (await operator.get("/templates")).json())["templates"]
    assert "meeting_invitation" in names and "inquiry_replied" in names
    for name in names:
        response = await operator.get(f"/templates/{name}/preview", lang="ja")
        assert response.status == 200, name
        body = await response.json()
        assert body["language"] == "ja" and '<html lang="ja">' in body["html"]
    unknown = await operator.get("/templates/nope/preview")
    assert unknown.status == 404
    bad_language = await operator.get("/templates/inquiry_replied/preview", lang="xx")
    assert bad_language.status == 422
    assert "lang" in await bad_language.text()
    assert (await notifications.get("/templates")).status == 401


async def test_a_sender_that_vanished_after_sending_is_taken_over_and_the_resend_is_flagged(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    operator: Caller,
    admin: Caller,
) -> None:
    mailroom: Mailroom = notifications.app[MAILROOM]
    proposal_id = await _proposal(notifications, notification_settings)
    await relay.stop()
    await publish(notification_settings, (decision(proposal_id), proposal_id))

    async def crashed_claim() -> Mail | None:
        # A dispatcher claims the mail and dies before it marks it: its claim has expired.
        for row in await ledger_rows(admin, CITY_EMAIL):
            if row["status"] == "pending":
                mail = await mailroom.ledger.get(row["mail_id"])
                return await mailroom.ledger.take(mail, datetime.now(UTC), timedelta(seconds=-1))
        return None

    claimed = await eventually(crashed_claim)
    await relay.start()
    [delivered] = await mail_to(relay, CITY_EMAIL)

    [sent] = await _events_of(notification_settings, 1)
    assert sent.data["mail_id"] == claimed.mail_id and sent.data["possible_duplicate"] is True
    row = await (await admin.get(f"/mail/{claimed.mail_id}")).json()
    assert row["possible_duplicate"] is True and row["status"] == "sent"
    assert delivered["Message-ID"] == f"<{claimed.mail_id}@{MAIL_DOMAIN}>"  # one id per mail


async def test_the_hourly_cap_holds_further_mail_for_later(
    notification_settings: NotificationSettings, relay: Relay
) -> None:
    capped = notification_settings.model_copy(update={"notifications_hourly_cap": 1})
    async with serving(create_app, capped) as client:
        admin = await granted(client, "admin")
        proposal_id = await _proposal(client, capped)
        await publish(capped, (decision(proposal_id), proposal_id),
                      (decision(proposal_id, "rejected", 4), proposal_id))  # fmt: skip
        await mail_to(relay, CITY_EMAIL)

        async def held() -> dict[str, Any] | None:
            rows = await ledger_rows(admin, CITY_EMAIL)
            return next((r for r in rows if r["last_error"] == "hourly cap"), None)

        waiting = await eventually(held)
    assert waiting["status"] == "pending" and waiting["attempts"] == 0
    due = datetime.fromisoformat(waiting["due_at"])
    assert timedelta(minutes=59) < due - datetime.now(UTC) <= timedelta(hours=1)
    assert len(relay.to(CITY_EMAIL)) == 1
