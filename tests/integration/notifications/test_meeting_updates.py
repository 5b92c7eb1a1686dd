"""An admin's move or cancellation of a meeting, as the matching service publishes it, reaches
both sides as an update of the same calendar event (same UID, the next SEQUENCE) or its
cancellation; the reminder follows the meeting; a redelivered move sends nothing twice."""

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from services.notifications.settings import NotificationSettings
from shared.contracts.matching import MeetingScheduled, meeting_uid
from shared.envelope import Envelope
from tests.integration.notifications.conftest import Relay, known, ledger_rows, mail_to, publish
from tests.integration.notifications.events import (
    CITY_EMAIL,
    COMPANY_EMAIL,
    city_added,
    company_registered,
    meeting,
    meeting_cancelled,
    meeting_rescheduled,
    new_id,
    proposal_submitted,
)
from tests.integration.notifications.test_invitations import calendar_of, event_of, text_of
from tests.support import Caller, eventually

START = datetime(2027, 3, 3, 2, 0, tzinfo=UTC)
MOVED_TO = START + timedelta(hours=3)


async def scheduled_meeting(settings: NotificationSettings, client: TestClient[Any, Any],
                            start: datetime) -> MeetingScheduled:  # fmt: skip
    """Both sides known, then a meeting as the matching service now publishes it (revision 0)."""
    company_id, proposal_id = new_id(), new_id()
    await publish(settings, (city_added(), "da-nang"), (company_registered(company_id), company_id),
                  (proposal_submitted(proposal_id), proposal_id))  # fmt: skip
    await known(client, "city:da-nang", f"company:{company_id}", f"proposal:{proposal_id}")
    first = meeting(new_id(), company_id, proposal_id, start).model_copy(update={"sequence": 0})
    await publish(settings, (first, first.meeting_id))
    return first


async def moved_meeting(
    settings: NotificationSettings, client: TestClient[Any, Any], start: datetime, to: datetime
) -> tuple[MeetingScheduled, Envelope]:
    """A meeting scheduled at ``start``, then moved by an admin to ``to`` (revision 1)."""
    first = await scheduled_meeting(settings, client, start)
    [moved] = await publish(settings, (meeting_rescheduled(first, to), first.meeting_id))
    return first, moved


async def test_a_rescheduled_meeting_updates_the_same_event_and_its_cancellation_withdraws_it(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
) -> None:
    first, _ = await moved_meeting(notification_settings, notifications, START, MOVED_TO)

    for address in (COMPANY_EMAIL, CITY_EMAIL):
        invitation, update = await mail_to(relay, address, 2)
        original, changed = event_of(calendar_of(invitation)), event_of(calendar_of(update))
        assert calendar_of(update)["METHOD"] == "REQUEST"
        assert str(original["UID"]) == str(changed["UID"]) == meeting_uid(first.meeting_id)
        assert int(changed["SEQUENCE"]) == int(original["SEQUENCE"]) + 1
        assert changed.decoded("DTSTART") == MOVED_TO
        assert str(changed["LOCATION"]) == "Table 5"
        assert "the delegation arrives late" in text_of(update)
        assert ("日時変更" if address == COMPANY_EMAIL else "moved to") in update["Subject"]

    cancelled = meeting_cancelled(first).model_copy(update={"sequence": 2})
    await publish(notification_settings, (cancelled, first.meeting_id))
    cancellation = (await mail_to(relay, COMPANY_EMAIL, 3))[2]
    withdrawn = calendar_of(cancellation)
    assert withdrawn["METHOD"] == "CANCEL"
    assert str(event_of(withdrawn)["UID"]) == meeting_uid(first.meeting_id)
    assert int(event_of(withdrawn)["SEQUENCE"]) == 2


async def test_a_redelivered_reschedule_sends_nothing_twice(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
) -> None:
    first, envelope = await moved_meeting(notification_settings, notifications, START, MOVED_TO)
    # The same record again, then the cancellation under the same key: once the
    # cancellation's mail is out, the redelivered move has been consumed before it.
    cancelled = meeting_cancelled(first).model_copy(update={"sequence": 2})
    await publish(notification_settings, envelope, (cancelled, first.meeting_id))
    await mail_to(relay, COMPANY_EMAIL, 3)
    await mail_to(relay, CITY_EMAIL, 3)

    for address in (COMPANY_EMAIL, CITY_EMAIL):
        methods = [calendar_of(message)["METHOD"] for message in relay.to(address)]
        assert methods == ["REQUEST", "REQUEST", "CANCEL"]


async def test_the_reminder_follows_the_moved_meeting(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    admin: Caller,
) -> None:
    start = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)
    later = start + timedelta(days=1)
    await moved_meeting(notification_settings, notifications, start, later)
    await mail_to(relay, COMPANY_EMAIL, 2)

    async def reminders() -> list[dict[str, Any]] | None:
        rows = await ledger_rows(admin, COMPANY_EMAIL)
        found = [row for row in rows if row["template"] == "meeting_reminder"]
        return found if len(found) == 2 else None

    rows = await eventually(reminders)
    assert sorted(row["status"] for row in rows) == ["pending", "superseded"]
    [pending] = [row for row in rows if row["status"] == "pending"]
    hours = notification_settings.notifications_reminder_hours
    assert datetime.fromisoformat(pending["due_at"]) == later - timedelta(hours=hours)


async def test_a_move_to_another_table_at_the_same_time_says_the_place_changed(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
) -> None:
    first, _ = await moved_meeting(notification_settings, notifications, START, START)
    assert first.table != "Table 5"

    # The company is mailed in Japanese, the city in English.
    wording = {COMPANY_EMAIL: ("場所変更", "日時は変わりません"),
               CITY_EMAIL: ("new place for", "its time is unchanged")}  # fmt: skip
    for address, (subject, sentence) in wording.items():
        _, update = await mail_to(relay, address, 2)
        assert subject in update["Subject"] and sentence in text_of(update)
        assert event_of(calendar_of(update)).decoded("DTSTART") == START
        assert str(event_of(calendar_of(update))["LOCATION"]) == "Table 5"
