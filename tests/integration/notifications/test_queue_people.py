"""Desk staff as the inquiries service and the identity stream know them: a queue's people
hear of its new inquiries, a breach reaches the assignee and the queue's escalation target,
each in their own language, and a change of the queue list is followed."""

from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from services.notifications.keys import MAILROOM
from services.notifications.settings import NotificationSettings
from shared.auth import Role, issue_key, register_person
from shared.contracts.identity import Actor, ApiKeyRevoked, PersonRegistered
from shared.contracts.inquiries import (
    InquiryAssigned,
    InquiryEscalated,
    InquirySlaBreached,
    InquirySlaWarning,
    InquiryTriaged,
    QueuesChanged,
    QueueStaffing,
)
from tests.integration.notifications.conftest import Relay, known, mail_to, publish
from tests.integration.notifications.events import new_id
from tests.integration.notifications.test_invitations import text_of
from tests.integration.notifications.test_who_hears_what import submitted
from tests.support import Caller, eventually

LEAD = Actor(grant="admin", person_id="p-lead", name="Desk lead")


def someone(name: str, language: str = "en") -> PersonRegistered:
    return register_person(name, email=f"{name.split()[0].lower()}@desk.test", language=language)


async def staffed(
    client: TestClient[Any, Any],
    settings: NotificationSettings,
    people: list[PersonRegistered],
    version: int,
    *queues: QueueStaffing,
) -> None:
    """The people on the identity stream and the queue list as the inquiries service
    publishes them, known to the service before the test's inquiry comes."""
    changed = QueuesChanged(queues=list(queues), version=version, by="admin", by_person=LEAD)
    await publish(settings, *[(each, each.person_id) for each in people],
                  (changed, "queues:queues"))  # fmt: skip
    await known(client, *[f"person:{each.person_id}" for each in people])
    directory = client.app[MAILROOM].directory

    async def at_version() -> bool:
        return ((await directory.get("queues")) or {}).get("version") == version

    await eventually(at_version, timeout=30)


async def recipients_of(admin: Caller, template: str) -> list[str]:
    response = await admin.get("/mail", limit=100)
    assert response.status == 200, await response.text()
    rows = (await response.json())["items"]
    return sorted(row["recipient"] for row in rows if row["template"] == template)


def triaged(inquiry_id: str, queue: str) -> tuple[InquiryTriaged, str]:
    return InquiryTriaged(inquiry_id=inquiry_id, queue=queue, rule=None), inquiry_id


async def test_a_new_inquiry_in_a_queue_mails_exactly_that_queues_people_in_their_language(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    admin: Caller,
) -> None:
    ito, lee, kim = someone("Ito Ken", "ja"), someone("Lee Min"), someone("Kim Ha")
    await staffed(notifications, notification_settings, [ito, lee, kim], 1,
                  QueueStaffing(name="matching", members=[ito.person_id, lee.person_id]),
                  QueueStaffing(name="desk-vn", members=[kim.person_id]))  # fmt: skip
    inquiry_id = new_id()
    await publish(notification_settings, (submitted(inquiry_id), inquiry_id),
                  triaged(inquiry_id, "matching"))  # fmt: skip

    [to_ito] = await mail_to(relay, "ito@desk.test")
    [to_lee] = await mail_to(relay, "lee@desk.test")
    assert "に新着" in str(to_ito["Subject"])  # Ito reads Japanese
    assert "new in matching" in str(to_lee["Subject"])
    # One event's mail is claimed in one transaction: what is there now is all there is.
    assert await recipients_of(admin, "inquiry_submitted") == ["ito@desk.test", "lee@desk.test"]


async def test_a_breach_mails_the_assignee_and_the_queues_escalation_targets(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    admin: Caller,
) -> None:
    sato, lead = someone("Sato Officer"), someone("Mori Lead", "ja")
    standby, colleague = someone("Tan Standby"), someone("Vu Colleague")
    await staffed(notifications, notification_settings, [sato, lead, standby, colleague], 3,
                  QueueStaffing(name="desk-vn", members=[colleague.person_id],
                                supervisor=lead.person_id, escalate_to="desk-leads"),
                  QueueStaffing(name="desk-leads", members=[standby.person_id]))  # fmt: skip
    inquiry_id, now = new_id(), datetime.now(UTC)
    breach = InquirySlaBreached(inquiry_id=inquiry_id, clock="first_response", at=now,
                                deadline=now)  # fmt: skip
    # As the inquiries service publishes a breach: the escalation right after it.
    escalation = InquiryEscalated(inquiry_id=inquiry_id, clock="first_response",
                                  from_queue="desk-vn", to_queue="desk-leads",
                                  officer=lead.person_id)  # fmt: skip
    await publish(
        notification_settings, (submitted(inquiry_id), inquiry_id), triaged(inquiry_id, "desk-vn"),
        (InquiryAssigned(inquiry_id=inquiry_id, queue="desk-vn", officer=sato.person_id,
                         by="admin"), inquiry_id),
        (breach, inquiry_id), (escalation, inquiry_id),
    )  # fmt: skip

    [to_lead] = await mail_to(relay, "mori@desk.test")
    assert "SLA" in str(to_lead["Subject"]) and "超過" in str(to_lead["Subject"])
    breached = ["mori@desk.test", "sato@desk.test", "tan@desk.test"]
    assert await recipients_of(admin, "inquiry_sla_breached") == breached
    await mail_to(relay, "sato@desk.test", 2)  # assigned, then breached
    await mail_to(relay, "tan@desk.test")


async def test_a_deadline_nobody_holds_reaches_the_queues_people_or_else_the_desk(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    admin: Caller,
) -> None:
    kim, hoa = someone("Kim Member"), someone("Hoa Desk")
    desk_key = issue_key(Role.DESK, "VN", hoa.name, "pepper", hoa).event
    await publish(notification_settings, (desk_key, desk_key.key_id))
    replica = notifications.app[MAILROOM].keys

    async def granted() -> bool:
        return len(await replica.list()) == 1

    await eventually(granted, timeout=30)
    await staffed(notifications, notification_settings, [kim, hoa], 1,
                  QueueStaffing(name="desk-vn", members=[kim.person_id]),
                  QueueStaffing(name="unstaffed"))  # fmt: skip
    in_queue, nowhere, now = new_id(), new_id(), datetime.now(UTC)
    # Both unassigned, with no supervisor or escalation queue: the breach goes to its
    # queue's people; the warning, in a queue nobody was put on, to the country's desk.
    await publish(
        notification_settings, (submitted(in_queue), in_queue), triaged(in_queue, "desk-vn"),
        (InquirySlaBreached(inquiry_id=in_queue, clock="first_response", at=now, deadline=now),
         in_queue),
        (submitted(nowhere), nowhere), triaged(nowhere, "unstaffed"),
        (InquirySlaWarning(inquiry_id=nowhere, clock="first_response", at=now, deadline=now),
         nowhere),
    )  # fmt: skip

    await mail_to(relay, "kim@desk.test", 2)  # new in desk-vn, then its breach
    await mail_to(relay, "hoa@desk.test", 2)  # new in a queue of nobody's, then its warning
    assert await recipients_of(admin, "inquiry_sla_breached") == ["kim@desk.test"]
    assert await recipients_of(admin, "inquiry_sla_warning") == ["hoa@desk.test"]


async def test_a_warning_is_not_mailed_when_the_queue_keeps_warnings_quiet(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    admin: Caller,
) -> None:
    sato = someone("Sato Officer")
    await staffed(notifications, notification_settings, [sato], 1,
                  QueueStaffing(name="desk-vn", notify_on_warning=False))  # fmt: skip
    inquiry_id, now = new_id(), datetime.now(UTC)
    await publish(
        notification_settings, (submitted(inquiry_id), inquiry_id),
        (InquiryAssigned(inquiry_id=inquiry_id, queue="desk-vn", officer=sato.person_id,
                         by="admin"), inquiry_id),
        (InquirySlaWarning(inquiry_id=inquiry_id, clock="resolution", at=now, deadline=now),
         inquiry_id),
        (InquirySlaBreached(inquiry_id=inquiry_id, clock="resolution", at=now, deadline=now),
         inquiry_id),
    )  # fmt: skip

    _, breached = await mail_to(relay, "sato@desk.test", 2)
    assert "SLA breached" in str(breached["Subject"])
    # The breach came after the warning on the same partition: the warning was handled.
    assert await recipients_of(admin, "inquiry_sla_warning") == []


async def test_a_deadline_is_written_in_the_recipients_own_time(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
) -> None:
    """As a meeting's time is: a consul in Hanoi read 10:00 UTC and had to work out 17:00."""
    hanoi = register_person("Vu Officer", email="vu@desk.test", time_zone="Asia/Ho_Chi_Minh")
    await staffed(notifications, notification_settings, [hanoi], 1,
                  QueueStaffing(name="desk-vn"))  # fmt: skip
    inquiry_id, now = new_id(), datetime.now(UTC)
    deadline = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    await publish(
        notification_settings, (submitted(inquiry_id), inquiry_id),
        (InquiryAssigned(inquiry_id=inquiry_id, queue="desk-vn", officer=hanoi.person_id,
                         by="admin"), inquiry_id),
        (InquirySlaWarning(inquiry_id=inquiry_id, clock="resolution", at=now,
                           deadline=deadline), inquiry_id),
    )  # fmt: skip

    mails = await mail_to(relay, "vu@desk.test", 2)
    warning = next(mail for mail in mails if "SLA warning" in str(mail["Subject"]))
    assert "Deadline: 2026-12-01 17:00 Asia/Ho_Chi_Minh (2026-12-01 10:00 UTC)" in text_of(warning)


async def test_a_queue_membership_change_is_followed(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    admin: Caller,
) -> None:
    before, after = someone("Abe Before"), someone("Baba After")
    await staffed(notifications, notification_settings, [before, after], 1,
                  QueueStaffing(name="matching", members=[before.person_id]))  # fmt: skip
    first = new_id()
    await publish(notification_settings, (submitted(first), first), triaged(first, "matching"))
    await mail_to(relay, "abe@desk.test")

    await staffed(notifications, notification_settings, [], 2,
                  QueueStaffing(name="matching", members=[after.person_id]))  # fmt: skip
    second = new_id()
    await publish(notification_settings, (submitted(second), second), triaged(second, "matching"))
    [to_after] = await mail_to(relay, "baba@desk.test")
    assert second[-6:] in str(to_after["Subject"])
    assert await recipients_of(admin, "inquiry_submitted") == ["abe@desk.test", "baba@desk.test"]


async def test_a_person_whose_last_key_for_the_desk_is_revoked_hears_no_more_of_it(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    admin: Caller,
) -> None:
    kim, lee, sato = someone("Kim Member"), someone("Lee Member"), someone("Sato Officer")
    keys = {each.person_id: issue_key(Role.DESK, "VN", each.name, "pepper", each).event
            for each in (kim, lee, sato)}  # fmt: skip
    await publish(notification_settings, *[(key, key.key_id) for key in keys.values()])
    desk_vn = QueueStaffing(name="desk-vn", members=[kim.person_id, lee.person_id])
    await staffed(notifications, notification_settings, [kim, lee, sato], 1, desk_vn)
    held = new_id()
    await publish(notification_settings, (submitted(held), held),
                  (InquiryAssigned(inquiry_id=held, queue="desk-vn", officer=sato.person_id,
                                   by="desk:VN"), held))  # fmt: skip
    await mail_to(relay, "sato@desk.test")  # assigned while he held his key

    now = datetime.now(UTC)
    revoked = [ApiKeyRevoked(key_id=keys[each.person_id].key_id, revoked_at=now, reason="left")
               for each in (kim, sato)]  # fmt: skip
    await publish(notification_settings, *[(each, each.key_id) for each in revoked])
    replica = notifications.app[MAILROOM].keys

    async def known_revoked() -> bool:
        return sum(key["revoked_at"] is not None for key in await replica.list()) == 2

    await eventually(known_revoked, timeout=30)
    fresh = new_id()
    await publish(notification_settings, (submitted(fresh), fresh), triaged(fresh, "desk-vn"),
                  (InquirySlaWarning(inquiry_id=held, clock="first_response", at=now,
                                     deadline=now), held))  # fmt: skip

    # The new inquiry reaches the member who still holds the desk; the warning of the
    # inquiry Sato can no longer work reaches whoever would pick it up: the queue's people.
    await mail_to(relay, "lee@desk.test", 2)
    assert await recipients_of(admin, "inquiry_submitted") == ["lee@desk.test"]
    assert await recipients_of(admin, "inquiry_sla_warning") == ["lee@desk.test"]
    assert len(relay.to("sato@desk.test")) == 1 and relay.to("kim@desk.test") == []
