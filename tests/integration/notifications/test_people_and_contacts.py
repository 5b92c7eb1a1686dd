"""People and contacts as they change and as they are found: a person's new address and
language are followed, a city's contact is mailed in the language it gave, a new inquiry in
a queue nobody was put on reaches the country's desk (or the operators), and a match
offered (its proposal accepted) reaches both sides' contacts, its preview nobody."""

from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from services.notifications.keys import MAILROOM
from services.notifications.model import Preferences
from services.notifications.settings import NotificationSettings
from shared.auth import Role, issue_key
from shared.contracts.identity import Actor, PersonRegistered, PersonUpdated
from shared.contracts.inquiries import InquiryAssigned
from shared.contracts.matching import MatchOffered, MatchProposed, MatchSummary
from shared.contracts.proposals import ProposalContact
from tests.integration.notifications.conftest import Relay, known, mail_to, publish
from tests.integration.notifications.events import (
    CITY_EMAIL,
    COMPANY_EMAIL,
    company_registered,
    new_id,
    proposal_submitted,
)
from tests.integration.notifications.test_invitations import text_of
from tests.integration.notifications.test_queue_people import someone, triaged
from tests.integration.notifications.test_who_hears_what import decision_of, submitted
from tests.support import eventually

ADMIN = Actor(grant="admin", person_id="p-admin", name="Desk admin")


def moved(person: PersonRegistered, email: str, language: str) -> PersonUpdated:
    """The admin API's change of a person, as the monitor publishes it."""
    return PersonUpdated(
        person_id=person.person_id, name=person.name, email=email, language=language,
        time_zone=person.time_zone, updated_at=datetime.now(UTC), changed=["email", "language"],
        by="admin", by_person=ADMIN,
    )  # fmt: skip


async def test_a_person_whose_details_changed_is_mailed_at_the_new_address_in_the_new_language(
    notifications: TestClient[Any, Any], notification_settings: NotificationSettings, relay: Relay
) -> None:
    ito = someone("Ito Ken")
    mailroom = notifications.app[MAILROOM]
    await publish(notification_settings, (ito, ito.person_id))
    await known(notifications, f"person:{ito.person_id}")
    quiet = Preferences(meetings=False)
    await mailroom.preferences.put(ito.email or "", quiet, by="test", at=datetime.now(UTC))
    update = moved(ito, "ito@hanoi.desk.test", "ja")
    await publish(notification_settings, (update, ito.person_id))
    directory = mailroom.directory

    async def followed() -> bool:
        return ((await directory.get(f"person:{ito.person_id}")) or {}).get("language") == "ja"

    await eventually(followed, timeout=30)
    inquiry_id = new_id()
    await publish(
        notification_settings,
        (submitted(inquiry_id), inquiry_id),
        (InquiryAssigned(inquiry_id=inquiry_id, queue="matching", officer=ito.person_id,
                         by="admin"), inquiry_id),
    )  # fmt: skip
    new_mail = await mail_to(relay, "ito@hanoi.desk.test", 2)
    [notice] = [m for m in new_mail if "メールアドレスの変更" in str(m["Subject"])]
    # The assignment reaches the new address, in Japanese now.
    assert sum("担当割り当て" in str(m["Subject"]) for m in new_mail) == 1
    # Both addresses are told of the change (account mail), and the old one of nothing else.
    [to_old] = await mail_to(relay, ito.email or "")
    for mail in (to_old, notice):
        assert "メールアドレスの変更" in str(mail["Subject"])
        assert "ito@hanoi.desk.test" in text_of(mail)
        assert mail["List-Unsubscribe"] is None  # account mail cannot be turned off
    # What Ito turned off at the old address stays off at the new one.
    assert await mailroom.preferences.get("ito@hanoi.desk.test") == quiet
    # The key replica follows too: every service names the person as they now are.
    replica = await notifications.app[MAILROOM].keys.person(ito.person_id)
    assert replica is not None and replica["email"] == "ito@hanoi.desk.test"


async def test_a_city_contact_is_mailed_in_the_language_it_gave_and_in_english_otherwise(
    notifications: TestClient[Any, Any], notification_settings: NotificationSettings, relay: Relay
) -> None:
    speaks_ja, says_nothing = new_id(), new_id()
    ja_contact = ProposalContact(name="Tran Thi Mai", email="mai@hue.example", language="ja")
    japanese = proposal_submitted(speaks_ja)
    japanese = japanese.model_copy(update={
        "proposal": japanese.proposal.model_copy(update={"contact": ja_contact}),
    })  # fmt: skip
    await publish(notification_settings, (japanese, speaks_ja),
                  (proposal_submitted(says_nothing), says_nothing))  # fmt: skip
    await known(notifications, f"proposal:{speaks_ja}", f"proposal:{says_nothing}")
    await publish(notification_settings, (decision_of(speaks_ja), speaks_ja),
                  (decision_of(says_nothing), says_nothing))  # fmt: skip

    [to_mai] = await mail_to(relay, "mai@hue.example")
    [to_an] = await mail_to(relay, CITY_EMAIL)
    assert "採択" in str(to_mai["Subject"])
    # A Vietnamese city's contact who said nothing: Vietnamese has no templates, so English.
    assert "accepted" in str(to_an["Subject"])


async def test_a_new_inquiry_in_a_queue_nobody_was_put_on_reaches_the_countrys_desk(
    notifications: TestClient[Any, Any], notification_settings: NotificationSettings, relay: Relay
) -> None:
    hanoi, bangkok, operator = someone("Hoa Desk", "ja"), someone("Somchai Desk"), someone("Op Ops")
    keys = [
        issue_key(Role.DESK, "VN", hanoi.name, "pepper", hanoi).event,
        issue_key(Role.DESK, "TH", bangkok.name, "pepper", bangkok).event,
        issue_key(Role.OPERATOR, None, operator.name, "pepper", operator).event,
    ]
    people = [(each, each.person_id) for each in (hanoi, bangkok, operator)]
    await publish(notification_settings, *people, *[(key, key.key_id) for key in keys])
    replica = notifications.app[MAILROOM].keys

    async def granted() -> bool:
        return len(await replica.list()) == len(keys)

    await eventually(granted, timeout=30)
    await known(notifications, *[f"person:{each.person_id}" for each in (hanoi, bangkok, operator)])
    vietnam, laos = new_id(), new_id()
    lao = submitted(laos)
    lao = lao.model_copy(update={"inquiry": lao.inquiry.model_copy(update={"country": "LA"})})
    # No queue list was ever saved: the queue has no people of its own.
    await publish(notification_settings, (submitted(vietnam), vietnam),
                  triaged(vietnam, "desk-vn"), (lao, laos), triaged(laos, "desk-la"))  # fmt: skip

    [to_hoa] = await mail_to(relay, "hoa@desk.test")
    assert "に新着" in str(to_hoa["Subject"])  # the VN desk, in Hoa's language
    # Laos has no desk holder: its inquiry goes to the operators, and to them only.
    [to_operator] = await mail_to(relay, "op@desk.test")
    assert "new in desk-la" in str(to_operator["Subject"])
    assert relay.to("somchai@desk.test") == []
    assert [str(m["Subject"]) for m in relay.to("hoa@desk.test")] == [str(to_hoa["Subject"])]


async def test_a_match_offered_reaches_both_sides_contacts_and_its_preview_nobody(
    notifications: TestClient[Any, Any], notification_settings: NotificationSettings, relay: Relay
) -> None:
    company_id, proposal_id, match_id = new_id(), new_id(), new_id()
    await publish(notification_settings, (company_registered(company_id), company_id),
                  (proposal_submitted(proposal_id), proposal_id))  # fmt: skip
    await known(notifications, f"company:{company_id}", f"proposal:{proposal_id}")
    match = MatchSummary(
        match_id=match_id, company_id=company_id, proposal_id=proposal_id,
        company_name="Kaiyo Water Engineering", city_id="da-nang", country="VN",
        focus_areas=["safety_security"], tags=["flood_control"], score=0.82, rank=1,
        factors=[], version=1,
    )  # fmt: skip
    # In the list of a proposal under review (a preview: it may yet be rejected), then
    # offered when the proposal is accepted. Only the offer is news to the two sides.
    preview = match.model_copy(update={"score": 0.41})
    await publish(notification_settings, (MatchProposed(match=preview), match_id),
                  (MatchOffered(match=match), match_id))  # fmt: skip

    [to_company] = await mail_to(relay, COMPANY_EMAIL)
    [to_city] = await mail_to(relay, CITY_EMAIL)
    for mail in (to_company, to_city):
        assert "Kaiyo Water Engineering" in str(mail["Subject"])
        assert "Flood early warning for Da Nang" in str(mail["Subject"])
        assert "0.82" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
