"""Sending that survives: redelivery sends nothing twice, an outage delays mail and loses
none, a refusal for good is recorded and published, and a recipient's choice holds."""

from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient

from services.notifications.settings import NotificationSettings
from shared.contracts.notifications import MailFailed, MailSent
from shared.contracts.proposals import ProposalStatusChanged
from shared.envelope import Envelope
from shared.topics import Topics
from tests.integration.notifications.conftest import Relay, known, ledger_rows, mail_to, publish
from tests.integration.notifications.events import (
    CITY_EMAIL,
    new_id,
    proposal_submitted,
)
from tests.support import Caller, eventually, read_topic


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
    assert not any(envelope.data["possible_duplicate"] for envelope in sent)


async def test_an_smtp_outage_delays_mail_and_loses_none(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    operator: Caller,
) -> None:
    proposal_id = await _proposal(notifications, notification_settings)
    await relay.stop()
    await publish(notification_settings, (decision(proposal_id), proposal_id))

    async def retried() -> dict[str, Any] | None:
        items = await ledger_rows(operator, CITY_EMAIL)
        waiting = [item for item in items if item["status"] == "pending" and item["attempts"] >= 2]
        return waiting[0] if waiting else None

    waiting = await eventually(retried, timeout=30)
    assert waiting["last_error"].startswith("relay unreachable")
    await relay.start()
    [delivered] = await mail_to(relay, CITY_EMAIL)

    assert "accepted" in str(delivered["Subject"])
    async def marked() -> dict[str, Any] | None:
        row: dict[str, Any] = await (await operator.get(f"/mail/{waiting['mail_id']}")).json()
        return row if row["status"] != "sending" else None  # marked right after the relay's OK

    row = await eventually(marked)
    assert row["status"] == "sent" and row["attempts"] >= 3
    assert len(relay.to(CITY_EMAIL)) == 1


async def test_a_permanent_refusal_is_recorded_published_and_never_retried(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    operator: Caller,
) -> None:
    relay.refuse.add(CITY_EMAIL)
    proposal_id = await _proposal(notifications, notification_settings)
    await publish(notification_settings, (decision(proposal_id), proposal_id))

    [failed] = await _events_of(notification_settings, 1)
    assert failed.type == MailFailed.event_type
    assert failed.data["code"] == 550 and failed.data["attempts"] == 1
    row = await (await operator.get(f"/mail/{failed.data['mail_id']}")).json()
    assert row["status"] == "failed" and row["attempts"] == 1
    assert relay.to(CITY_EMAIL) == []


async def test_one_click_unsubscribe_stops_that_category_and_the_ledger_says_so(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    operator: Caller,
) -> None:
    proposal_id = await _proposal(notifications, notification_settings)
    await publish(notification_settings, (decision(proposal_id), proposal_id))
    [first] = await mail_to(relay, CITY_EMAIL)
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = urlsplit(str(first["List-Unsubscribe"]).strip("<>"))
    assert link.path == "/unsubscribe" and parse_qs(link.query)["category"] == ["proposals"]

    response = await notifications.post(f"/unsubscribe?{link.query}")
    assert response.status == 200, await response.text()
    token = parse_qs(link.query)["token"][0]
    view = await (await notifications.get("/preferences", params={"token": token})).json()
    assert view["preferences"]["proposals"] is False and view["preferences"]["matches"] is True
    await publish(notification_settings, (decision(proposal_id, "rejected", 4), proposal_id))

    async def suppressed() -> bool:
        items = await ledger_rows(operator, CITY_EMAIL)
        return any(item["status"] == "suppressed" for item in items)

    await eventually(suppressed)
    assert len(relay.to(CITY_EMAIL)) == 1


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
