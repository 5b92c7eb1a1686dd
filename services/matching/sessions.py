"""Business-matching sessions, meetings and their outcomes. Pure: no I/O."""

from collections import Counter
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared.contracts.identity import Actor
from shared.contracts.matching import MatchSide, MeetingSlot
from shared.errors import DomainError
from shared.http.input_rules import FIELD_NAMES

COMPANY_TIME_ZONE = "Asia/Tokyo"
"""Companies are Japanese: their meetings are shown in Japan time."""
NextStep = Literal["mou", "fs_proposal", "none"]


def fiscal_year(moment: datetime) -> str:
    """Japan's fiscal year (April to March), the cycle Smart JAMP and the desk plan in."""
    return f"FY{moment.year if moment.month >= 4 else moment.year - 1}"


class SessionNotFound(DomainError):
    pass


class MeetingNotFound(DomainError):
    pass


class Slot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> "Slot":
        if self.end <= self.start:
            raise ValueError("a slot ends after it starts")
        return self

    def published(self) -> MeetingSlot:
        return MeetingSlot(start=self.start, end=self.end)


EXAMPLE_SESSION: dict[str, Any] = {
    "name": "ASCN high-level meeting, Tokyo",
    "slots": [
        {"start": "2025-10-08T01:00:00Z", "end": "2025-10-08T01:30:00Z"},
        {"start": "2025-10-08T01:30:00Z", "end": "2025-10-08T02:00:00Z"},
    ],
    "tables": ["Table A", "Table B", "Online room 1"],
    "availability": {"company:64f0c0ffee": [0]},
    "min_meetings": {},
    "max_meetings": {},
}


class CreateSession(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [EXAMPLE_SESSION]}
    )

    name: str = Field(min_length=3, max_length=200)
    cycle: str | None = Field(default=None, description="Defaults to the first slot's fiscal year")
    slots: list[Slot] = Field(min_length=1, max_length=200)
    tables: list[str] = Field(min_length=1, max_length=100, description="Tables or online rooms")
    availability: dict[str, list[int]] = Field(
        default={},
        description="'company:<id>' or 'city:<id>' -> slot indexes; absent: all",
        json_schema_extra=FIELD_NAMES,
    )
    min_meetings: dict[str, int] = Field(default={}, json_schema_extra=FIELD_NAMES)
    max_meetings: dict[str, int] = Field(default={}, json_schema_extra=FIELD_NAMES)

    @model_validator(mode="after")
    def _slot_indexes_exist(self) -> "CreateSession":
        for participant, slots in self.availability.items():
            if any(not 0 <= slot < len(self.slots) for slot in slots):
                raise ValueError(f"availability of {participant} names a slot that does not exist")
        return self


class MatchingSession(CreateSession):
    model_config = ConfigDict(extra="ignore", frozen=True)

    session_id: str
    cycle: str
    created_by: str
    created_at: datetime
    scheduled: bool = False


class Outcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    rating: int = Field(ge=1, le=5)
    next_step: NextStep
    notes: str | None = Field(default=None, max_length=2000)
    by: str = ""
    by_person: Actor | None = None
    at: datetime | None = None


class RecordOutcome(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"rating": 4, "next_step": "fs_proposal"}]}
    )

    rating: int = Field(ge=1, le=5)
    next_step: NextStep
    notes: str | None = Field(default=None, max_length=2000)


class LocalSlot(BaseModel):
    time_zone: str
    start: str
    end: str


class Meeting(BaseModel):
    model_config = ConfigDict(frozen=True)

    meeting_id: str
    session_id: str
    match_id: str
    proposal_id: str
    company_id: str
    city_id: str
    slot: Slot
    table: str
    score: float
    company_time_zone: str = COMPANY_TIME_ZONE
    city_time_zone: str = "UTC"
    outcomes: dict[MatchSide, Outcome] = {}


class MeetingView(Meeting):
    """A meeting with its time in each participant's own zone."""

    company_local: LocalSlot
    city_local: LocalSlot

    @classmethod
    def of(cls, meeting: Meeting) -> "MeetingView":
        return cls(
            **meeting.model_dump(),
            company_local=local_slot(meeting.slot, meeting.company_time_zone),
            city_local=local_slot(meeting.slot, meeting.city_time_zone),
        )


def local_slot(slot: Slot, zone: str) -> LocalSlot:
    where = ZoneInfo(zone)
    return LocalSlot(
        time_zone=zone,
        start=slot.start.astimezone(where).isoformat(),
        end=slot.end.astimezone(where).isoformat(),
    )


class SessionView(MatchingSession):
    meetings: list[MeetingView]


class SessionReport(BaseModel):
    """What the session led to: the figures a desk reports upward."""

    session_id: str
    meetings: int
    outcomes_recorded: int
    average_rating: float | None
    next_steps: dict[str, int]
    meetings_with_mou: list[str]
    meetings_with_fs_proposal: list[str]


def report(session_id: str, meetings: list[Meeting]) -> SessionReport:
    outcomes = [outcome for meeting in meetings for outcome in meeting.outcomes.values()]
    steps = Counter(outcome.next_step for outcome in outcomes)

    def agreed(step: str) -> list[str]:
        return [
            m.meeting_id for m in meetings if any(o.next_step == step for o in m.outcomes.values())
        ]

    return SessionReport(
        session_id=session_id,
        meetings=len(meetings),
        outcomes_recorded=len(outcomes),
        average_rating=round(sum(o.rating for o in outcomes) / len(outcomes), 2)
        if outcomes
        else None,
        next_steps=dict(steps),
        meetings_with_mou=agreed("mou"),
        meetings_with_fs_proposal=agreed("fs_proposal"),
    )
