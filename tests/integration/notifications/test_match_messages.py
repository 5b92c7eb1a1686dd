"""A message on a match's thread: the other side hears of it once, in its language, unless
it turned match mail off; a message from staff reaches both sides. The message that came
with an acceptance goes with the notice to the side that has to answer."""

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient

from services.notifications.settings import NotificationSettings
from shared.contracts.matching import MatchMessagePosted, MatchResponded, MessageAuthor
from tests.integration.notifications.conftest import Relay, known, ledger_rows, mail_to, publish
from tests.integration.notifications.events import (
    CITY_EMAIL,
    COMPANY_EMAIL,
    city_added,
    company_registered,
    new_id,
    proposal_submitted,
)
from tests.support import Caller, eventually


def posted(ids: dict[str, str], side: MessageAuthor, body: str) -> tuple[MatchMessagePosted, str]:
    message = MatchMessagePosted(
        **ids, message_id=new_id(), city_id="da-nang", side=side, body=body,
        at=datetime.now(UTC), by=f"{side}:x",
    )  # fmt: skip
    return message, ids["match_id"]


async def pair(
    notifications: TestClient[Any, Any], settings: NotificationSettings
) -> dict[str, str]:
    company_id, proposal_id = new_id(), new_id()
    await publish(settings, (city_added(), "da-nang"),
                  (company_registered(company_id, ["ja"]), company_id),
                  (proposal_submitted(proposal_id), proposal_id))  # fmt: skip
    await known(notifications, f"company:{company_id}", f"proposal:{proposal_id}")
    return {"match_id": new_id(), "proposal_id": proposal_id, "company_id": company_id}


async def test_the_other_side_is_mailed_once_and_staff_messages_reach_both(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    admin: Caller,
) -> None:
    ids = await pair(notifications, notification_settings)
    [sent] = await publish(notification_settings, posted(ids, "city", "Shall we meet on site?"))

    [to_company] = await mail_to(relay, COMPANY_EMAIL)
    assert "都市からのメッセージ" in str(to_company["Subject"])  # the company reads Japanese
    text = to_company.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Shall we meet on site?" in text

    await publish(notification_settings, sent)  # delivered again: nothing more
    await publish(notification_settings, posted(ids, "staff", "The desk can host you."))
    await mail_to(relay, CITY_EMAIL)
    await mail_to(relay, COMPANY_EMAIL, 2)
    assert [row["template"] for row in await ledger_rows(admin, COMPANY_EMAIL)] == [
        "match_message"
    ] * 2
    [to_city] = await ledger_rows(admin, CITY_EMAIL)  # not of its own message
    assert to_city["template"] == "match_message"
    assert len(relay.to(COMPANY_EMAIL)) == 2


async def test_a_side_that_turned_match_mail_off_is_not_mailed(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    admin: Caller,
) -> None:
    ids = await pair(notifications, notification_settings)
    await publish(notification_settings, posted(ids, "company", "Hello"))
    [first] = await mail_to(relay, CITY_EMAIL)
    link = urlsplit(str(first["List-Unsubscribe"]).strip("<>"))
    assert parse_qs(link.query)["category"] == ["matches"]
    response = await notifications.post(
        f"/unsubscribe?{link.query}", data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert response.status == 200, await response.text()

    await publish(notification_settings, posted(ids, "company", "Are you there?"))

    async def suppressed() -> bool:
        rows = await ledger_rows(admin, CITY_EMAIL)
        return any(row["status"] == "suppressed" for row in rows)

    await eventually(suppressed, timeout=30)
    assert len(relay.to(CITY_EMAIL)) == 1


async def test_the_answers_message_goes_with_the_notice_to_the_side_that_has_to_answer(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    operator: Caller,
    admin: Caller,
) -> None:
    ids = await pair(notifications, notification_settings)
    word = "We would be glad to meet in Tokyo."
    accepted = MatchResponded(**ids, side="company", accepted=True, by="company", message=word)
    await publish(notification_settings, (accepted, ids["match_id"]))

    async def notice() -> dict[str, Any] | None:
        rows = await ledger_rows(admin, CITY_EMAIL)
        return next((row for row in rows if row["template"] == "match_expiring"), None)

    row = await eventually(notice, timeout=30)
    mail = await (await admin.get(f"/mail/{row['mail_id']}")).json()
    assert word in mail["text"] and "Their message:" in mail["text"]
