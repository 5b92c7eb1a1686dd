"""Events of the other services, as the notifications tests put them on the streams."""

import uuid
from datetime import UTC, date, datetime, timedelta

from shared.contracts.companies import CompanyProfile, CompanyRegistered, ContactPerson
from shared.contracts.identity import Actor
from shared.contracts.matching import (
    MeetingCancelled,
    MeetingEvent,
    MeetingRescheduled,
    MeetingScheduled,
    MeetingSlot,
)
from shared.contracts.proposals import (
    BudgetRange,
    City,
    CityAdded,
    ProposalContact,
    ProposalDetails,
    ProposalSubmitted,
    Timeline,
)

COMPANY_EMAIL = "sato@kaiyo.example"
CITY_EMAIL = "an@danang.example"


def new_id() -> str:
    return uuid.uuid4().hex[:24]


def company_registered(company_id: str, languages: list[str] | None = None) -> CompanyRegistered:
    return CompanyRegistered(
        company=CompanyProfile(
            company_id=company_id, corporate_number=None, name_en="Kaiyo Water Engineering",
            name_ja="海洋水道エンジニアリング", size="medium", focus_areas=["quality_environment"],
            tags=["water_supply"], countries=["VN"], languages=languages or ["en", "ja"],
            capability_statement="Water supply networks.", references=[],
            contact=ContactPerson(name="Sato Hanako", email=COMPANY_EMAIL), status="registered",
            version=1, registered_at=datetime.now(UTC),
        )
    )  # fmt: skip


def city_added() -> CityAdded:
    return CityAdded(
        city=City(city_id="da-nang", name="Da Nang", country="VN", joined=2018,
                  time_zone="Asia/Ho_Chi_Minh")
    )  # fmt: skip


def proposal_submitted(proposal_id: str) -> ProposalSubmitted:
    return ProposalSubmitted(
        proposal=ProposalDetails(
            proposal_id=proposal_id, city_id="da-nang", country="VN",
            title="Flood early warning for Da Nang", focus_areas=["safety_security"],
            tags=["flood_control"], stage="feasibility_study", financing=["smart_jamp"],
            budget=BudgetRange(min=1, max=2, currency="USD"),
            timeline=Timeline(start=date(2027, 1, 1), end=date(2027, 12, 31)),
            description="River-level sensing.", contact=ProposalContact(
                name="Nguyen Van An", email=CITY_EMAIL),
            status="submitted", version=2, created_at=datetime.now(UTC),
        ),
        by="city:da-nang",
    )  # fmt: skip


def meeting(
    meeting_id: str, company_id: str, proposal_id: str, start: datetime, table: str = "Table 4"
) -> MeetingScheduled:
    return MeetingScheduled(
        meeting_id=meeting_id, session_id="s-1", match_id=f"m-{meeting_id}",
        proposal_id=proposal_id, company_id=company_id, city_id="da-nang",
        slot=MeetingSlot(start=start, end=start + timedelta(minutes=30)), table=table, score=0.8,
    )  # fmt: skip


def meeting_cancelled(scheduled: MeetingScheduled) -> MeetingCancelled:
    return MeetingCancelled(
        **scheduled.model_dump(include=set(MeetingEvent.model_fields)),
        reason="the proposal was withdrawn",
    )  # fmt: skip


def meeting_rescheduled(
    scheduled: MeetingScheduled, start: datetime, sequence: int = 1
) -> MeetingRescheduled:
    """The matching service's move of a meeting, as an admin asked for it."""
    return MeetingRescheduled(
        **scheduled.model_dump(include=set(MeetingEvent.model_fields)),
        slot=MeetingSlot(start=start, end=start + timedelta(minutes=30)), table="Table 5",
        previous_slot=scheduled.slot, previous_table=scheduled.table, sequence=sequence,
        reason="the delegation arrives late", by="admin",
        by_person=Actor(grant="admin", person_id=None, name="Desk admin"),
    )  # fmt: skip
