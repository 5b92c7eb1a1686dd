"""Meetings become iCalendar invitations both sides' calendars accept: a request, an update
with the same UID and a higher SEQUENCE, a cancellation; and a reminder the day before."""

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from aiohttp.test_utils import TestClient
from icalendar import Calendar

from services.notifications.settings import NotificationSettings
from tests.integration.notifications.conftest import Relay, known, ledger_rows, mail_to, publish
from tests.integration.notifications.events import (
    CITY_EMAIL,
    COMPANY_EMAIL,
    city_added,
    company_registered,
    meeting,
    meeting_cancelled,
    new_id,
    proposal_submitted,
)
from tests.support import Caller, eventually


def calendar_of(message: EmailMessage) -> Calendar:
    parts = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "one text/calendar alternative"
    return Calendar.from_ical(parts[0].get_content())


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


def event_of(calendar: Calendar) -> Any:
    [event] = calendar.walk("VEVENT")
    return event


async def test_a_scheduled_meeting_invites_both_sides_with_a_valid_icalendar_request(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
) -> None:
    company_id, proposal_id = new_id(), new_id()
    start = datetime(2027, 3, 3, 2, 0, tzinfo=UTC)
    scheduled = meeting(new_id(), company_id, proposal_id, start)
    await publish(notification_settings, (city_added(), "da-nang"),
                  (company_registered(company_id), company_id),
                  (proposal_submitted(proposal_id), proposal_id))  # fmt: skip
    await known(notifications, "city:da-nang", f"company:{company_id}", f"proposal:{proposal_id}")
    await publish(notification_settings, (scheduled, scheduled.meeting_id))

    [to_company] = await mail_to(relay, COMPANY_EMAIL)
    [to_city] = await mail_to(relay, CITY_EMAIL)
    for message in (to_company, to_city):
        calendar = calendar_of(message)
        assert calendar["METHOD"] == "REQUEST"
        event = event_of(calendar)
        assert event.decoded("DTSTART") == start
        assert event.decoded("DTEND") == start + timedelta(minutes=30)
        assert int(event["SEQUENCE"]) == 0
        assert str(event["LOCATION"]) == "Table 4"
        attendees = {str(attendee).lower() for attendee in event.get("ATTENDEE")}
        assert attendees == {f"mailto:{COMPANY_EMAIL}", f"mailto:{CITY_EMAIL}"}
    # Each side reads its own time: Japan for the company (JST 11:00), Vietnam for the city.
    assert "2027-03-03 11:00" in text_of(to_company)
    assert "2027-03-03 09:00" in text_of(to_city)
    assert "Asia/Ho_Chi_Minh" in str(event_of(calendar_of(to_company))["DESCRIPTION"])
    assert to_company["Subject"].startswith("[JAMP Desk] ")


async def test_a_moved_meeting_updates_the_same_event_and_a_cancelled_one_is_withdrawn(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
) -> None:
    company_id, proposal_id, meeting_id = new_id(), new_id(), new_id()
    start = datetime(2027, 3, 3, 2, 0, tzinfo=UTC)
    await publish(notification_settings, (company_registered(company_id), company_id),
                  (proposal_submitted(proposal_id), proposal_id))  # fmt: skip
    await known(notifications, f"company:{company_id}", f"proposal:{proposal_id}")
    first = meeting(meeting_id, company_id, proposal_id, start)
    moved = meeting(meeting_id, company_id, proposal_id, start + timedelta(hours=2))
    await publish(notification_settings, (first, meeting_id), (moved, meeting_id))
    invitation, update = await mail_to(relay, COMPANY_EMAIL, 2)
    await publish(notification_settings, (meeting_cancelled(moved), meeting_id))
    cancellation = (await mail_to(relay, COMPANY_EMAIL, 3))[2]

    original, changed = event_of(calendar_of(invitation)), event_of(calendar_of(update))
    assert str(changed["UID"]) == str(original["UID"])
    assert int(changed["SEQUENCE"]) > int(original["SEQUENCE"])
    assert changed.decoded("DTSTART") == start + timedelta(hours=2)
    cancelled_calendar = calendar_of(cancellation)
    cancelled = event_of(cancelled_calendar)
    assert cancelled_calendar["METHOD"] == "CANCEL"
    assert str(cancelled["UID"]) == str(original["UID"])
    assert int(cancelled["SEQUENCE"]) > int(changed["SEQUENCE"])
    assert str(cancelled["STATUS"]) == "CANCELLED"


async def test_the_reminder_goes_out_the_day_before_and_a_cancellation_withdraws_it(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    admin: Caller,
) -> None:
    company_id, proposal_id = new_id(), new_id()
    soon = datetime.now(UTC) + timedelta(hours=23)  # the day before is already here
    later = datetime.now(UTC) + timedelta(days=5)
    await publish(notification_settings, (company_registered(company_id), company_id),
                  (proposal_submitted(proposal_id), proposal_id))  # fmt: skip
    await known(notifications, f"company:{company_id}", f"proposal:{proposal_id}")
    near, far = (
        meeting(new_id(), company_id, proposal_id, soon),
        meeting(new_id(), company_id, proposal_id, later),
    )
    await publish(notification_settings, (near, near.meeting_id), (far, far.meeting_id))
    await mail_to(relay, COMPANY_EMAIL, 2)
    await publish(notification_settings, (meeting_cancelled(far), far.meeting_id))
    await mail_to(relay, COMPANY_EMAIL, 3)

    async def ledger() -> list[dict[str, Any]] | None:
        items = await ledger_rows(admin, COMPANY_EMAIL)
        return items if {item["template"] for item in items} >= {"meeting_cancelled"} else None

    rows = await eventually(ledger)
    reminders = {row["status"] for row in rows if row["template"] == "meeting_reminder"}
    assert reminders == {"superseded"}, rows  # the far one's, withdrawn by the cancellation
    # The near meeting's invitation said "tomorrow" only once: no reminder was due any more.
    assert [row["template"] for row in rows].count("meeting_reminder") == 1


async def test_an_online_meeting_carries_its_video_link(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
) -> None:
    company_id, proposal_id = new_id(), new_id()
    room = "https://meet.example.org/jamp-hanoi-4"
    online = meeting(new_id(), company_id, proposal_id, datetime(2027, 3, 3, 2, tzinfo=UTC), room)
    await publish(notification_settings, (company_registered(company_id), company_id),
                  (proposal_submitted(proposal_id), proposal_id))  # fmt: skip
    await known(notifications, f"company:{company_id}", f"proposal:{proposal_id}")
    await publish(notification_settings, (online, online.meeting_id))

    [to_city] = await mail_to(relay, CITY_EMAIL)
    event = event_of(calendar_of(to_city))
    assert (str(event["LOCATION"]), str(event["URL"])) == ("Online", room)
    assert f"Link: {room}" in text_of(to_city)
