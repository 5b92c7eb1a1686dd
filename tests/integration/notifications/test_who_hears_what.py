"""Who hears what: the officer of an assignment and the assignee of a breach (a queue's
people and escalation targets: ``test_queue_people.py``); both sides of a match, each with the
other's contact once both accept; and the side that has not answered, before expiry."""

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from services.notifications.app import create_app
from services.notifications.settings import NotificationSettings
from shared.auth import register_person
from shared.contracts.inquiries import (
    InquiryAssigned,
    InquiryDetails,
    InquiryRequester,
    InquirySlaBreached,
    InquirySlaWarning,
    InquirySubmitted,
    InquiryTriaged,
)
from shared.contracts.matching import MatchAccepted, MatchResponded
from shared.contracts.proposals import ProposalStatusChanged
from shared.envelope import Envelope
from tests.integration.notifications.conftest import Relay, known, ledger_rows, mail_to, publish
from tests.integration.notifications.events import (
    CITY_EMAIL,
    COMPANY_EMAIL,
    company_registered,
    new_id,
    proposal_submitted,
)
from tests.support import Caller, eventually, serving

OFFICER = "officer@desk.test"


def decision_of(proposal_id: str, to_status: str = "accepted") -> ProposalStatusChanged:
    return ProposalStatusChanged(
        proposal_id=proposal_id, version=3, from_status="under_review", to_status=to_status,
        by="admin", reason=None,
    )  # fmt: skip


def submitted(inquiry_id: str) -> InquirySubmitted:
    return InquirySubmitted(
        inquiry=InquiryDetails(
            inquiry_id=inquiry_id, country="VN", city=None,
            requester=InquiryRequester(kind="city", city_id="da-nang"),
            category="partner_search", subject="Partners for flood warning", language="ja",
            priority="high", proposal_id=None, company_id=None, focus_areas=[],
            submitted_by="desk:VN", submitted_at=datetime.now(UTC),
        )
    )  # fmt: skip


async def test_an_officer_hears_of_an_assignment_a_warning_and_a_breach(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
) -> None:
    inquiry_id = new_id()
    deadline = datetime.now(UTC)
    await publish(
        notification_settings,
        (submitted(inquiry_id), inquiry_id),
        (InquiryTriaged(inquiry_id=inquiry_id, queue="matching", rule=None), inquiry_id),
        (InquiryAssigned(inquiry_id=inquiry_id, queue="matching", officer=OFFICER, by="admin"),
         inquiry_id),
        (InquirySlaWarning(inquiry_id=inquiry_id, clock="first_response", at=deadline,
                           deadline=deadline), inquiry_id),
        (InquirySlaBreached(inquiry_id=inquiry_id, clock="first_response", at=deadline,
                            deadline=deadline), inquiry_id),
    )  # fmt: skip

    mails = await mail_to(relay, OFFICER, 3)
    assigned = next(mail for mail in mails if "assigned to you" in str(mail["Subject"]))
    assert "Partners for flood warning" in str(assigned["Subject"])
    subjects = " | ".join(str(mail["Subject"]) for mail in mails)
    # A warning reaches the assignee by default (a queue may keep warnings quiet).
    assert "SLA warning (first_response)" in subjects, subjects
    assert "SLA breached (first_response)" in subjects, subjects
    assert all(mail["Reply-To"] is None for mail in mails)  # staff mail is no conversation


async def test_both_sides_of_a_match_and_the_one_that_has_not_answered_yet(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
    admin: Caller,
) -> None:
    company_id, proposal_id, match_id = new_id(), new_id(), new_id()
    await publish(notification_settings, (company_registered(company_id), company_id),
                  (proposal_submitted(proposal_id), proposal_id))  # fmt: skip
    await known(notifications, f"company:{company_id}", f"proposal:{proposal_id}")
    ids = {"match_id": match_id, "proposal_id": proposal_id, "company_id": company_id}
    await publish(notification_settings, (MatchResponded(**ids, side="company", accepted=True,
                                                         by="company"), match_id))  # fmt: skip

    async def notice() -> dict[str, Any] | None:
        rows = await ledger_rows(admin, CITY_EMAIL)
        return next((row for row in rows if row["template"] == "match_expiring"), None)

    waiting = await eventually(notice)
    days = notification_settings.matching_response_days
    hours = notification_settings.notifications_expiry_notice_hours
    due = datetime.fromisoformat(waiting["due_at"])
    expected = datetime.now(UTC) + timedelta(days=days) - timedelta(hours=hours)
    assert waiting["status"] == "pending" and abs(due - expected) < timedelta(minutes=5)

    city_yes = MatchResponded(**ids, side="city", accepted=True, by="city")
    await publish(notification_settings, (city_yes, match_id), (MatchAccepted(**ids), match_id))
    [to_company] = await mail_to(relay, COMPANY_EMAIL)
    [to_city] = await mail_to(relay, CITY_EMAIL)
    assert CITY_EMAIL in to_company.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert COMPANY_EMAIL in to_city.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # The request was answered: its expiry notice will never go out, and the side that
    # answered first is not asked to answer again.
    assert (await eventually(notice))["status"] == "superseded"
    company_rows = await ledger_rows(admin, COMPANY_EMAIL)
    assert [row["template"] for row in company_rows] == ["match_accepted"]


async def test_history_from_before_the_first_deployment_teaches_contacts_and_mails_nobody(
    notification_settings: NotificationSettings, relay: Relay
) -> None:
    since = datetime.now(UTC)
    fresh = notification_settings.model_copy(update={"notifications_since": since})
    company_id, proposal_id = new_id(), new_id()
    old = Envelope.wrap(proposal_submitted(proposal_id), source="proposals", subject=proposal_id)
    old = old.model_copy(update={"time": since - timedelta(days=30)})
    decided = Envelope.wrap(decision_of(proposal_id), source="proposals", subject=proposal_id)
    decided = decided.model_copy(update={"time": since - timedelta(days=29)})
    async with serving(create_app, fresh) as client:
        await publish(fresh, old, decided, (company_registered(company_id), company_id))
        await known(client, f"proposal:{proposal_id}", f"company:{company_id}")
        await publish(fresh, (decision_of(proposal_id, "rejected"), proposal_id))
        [mail] = await mail_to(relay, CITY_EMAIL)
    assert "rejected" in str(mail["Subject"])  # the old decision was not mailed


async def test_an_officer_named_by_person_id_is_mailed_at_their_address(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
) -> None:
    sato = register_person("Consul Sato", email="sato@desk.test", language="ja")
    inquiry_id = new_id()
    await publish(notification_settings, (sato, sato.person_id))
    await known(notifications, f"person:{sato.person_id}")
    await publish(
        notification_settings,
        (submitted(inquiry_id), inquiry_id),
        (InquiryAssigned(inquiry_id=inquiry_id, queue="matching", officer=sato.person_id,
                         officer_name=sato.name, by="admin"), inquiry_id),
    )  # fmt: skip
    [assigned] = await mail_to(relay, "sato@desk.test")
    assert "担当割り当て" in str(assigned["Subject"])  # in the person's language, Japanese
