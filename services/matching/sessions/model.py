"""Business-matching sessions, meetings and their outcomes. Pure: no I/O."""

import itertools
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from services.matching.model import Match, MatchStatus
from shared.contracts.identity import Actor
from shared.contracts.matching import (
    MatchSide,
    MeetingCancelled,
    MeetingEvent,
    MeetingSlot,
    meeting_uid,
)
from shared.contracts.vocabulary import UNIQUE
from shared.errors import DomainError
from shared.http.input_rules import FIELD_NAMES, ONE_LINE
from shared.http.moments import storable

COMPANY_TIME_ZONE = "Asia/Tokyo"
"""Companies are Japanese: their meetings are shown in Japan time."""
NextStep = Literal["mou", "fs_proposal", "none"]


def fiscal_year(moment: datetime) -> str:
    """Japan's fiscal year (April to March), the cycle Smart JAMP and the desk plan in."""
    return f"FY{moment.year if moment.month >= 4 else moment.year - 1}"


class SessionNotFound(DomainError):
    pass


class InvalidSession(DomainError):
    """A session that names a slot in the past or a participant nobody knows."""


class NotStarted(DomainError):
    """An outcome for a meeting that has not started (or was cancelled)."""


class MeetingNotFound(DomainError):
    pass


class PartyNotFound(DomainError):
    """A company or city the read models do not know."""


class Slot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: Annotated[AwareDatetime, AfterValidator(storable)]
    end: Annotated[AwareDatetime, AfterValidator(storable)]

    @model_validator(mode="after")
    def _ordered(self) -> "Slot":
        if self.end <= self.start:
            raise ValueError("a slot ends after it starts")
        return self

    def published(self) -> MeetingSlot:
        return MeetingSlot(start=self.start, end=self.end)

    def in_utc(self) -> "Slot":
        """As it is stored and shown back: UTC, whatever zone a caller wrote it in."""
        return Slot(start=self.start.astimezone(UTC), end=self.end.astimezone(UTC))


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


PARTICIPANT = r"^(company|city):[A-Za-z0-9_-]{1,64}$"
"""'company:<id>' or 'city:<id>': no '$' or '.', so a key is never read as an operator."""
Participant = Annotated[str, StringConstraints(pattern=PARTICIPANT)]


def is_video_link(table: str) -> bool:
    """Whether a table named by a link is an online room both sides can be sent to:
    https, a host, no credentials and nothing a mail or calendar line would split."""
    if any(character.isspace() for character in table):
        return False
    try:
        parts = urlsplit(table)
        host = parts.hostname
    except ValueError:  # a malformed IPv6 literal
        return False
    return parts.scheme == "https" and bool(host) and parts.username is None


def canonical_table(table: str) -> str:
    """A video link with its scheme and host in lower case (RFC 3986 §6.2.2.1: they ignore
    case), so that one room has one name: ``HTTPS://Meet.example.org/r1`` was a second
    room beside ``https://meet.example.org/r1``, and shown as a place. Other names as given."""
    if not is_video_link(table):
        return table
    parts = urlsplit(table)
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))


TableName = Annotated[
    str, Field(min_length=1, max_length=500, pattern=ONE_LINE), AfterValidator(canonical_table)
]
"""A table or online room as a caller names it: one line (it is a line of every invitation)."""


class CreateSession(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [EXAMPLE_SESSION]}
    )

    name: str = Field(min_length=3, max_length=200, pattern=ONE_LINE)
    cycle: str | None = Field(default=None, description="Defaults to the first slot's fiscal year")
    slots: list[Slot] = Field(
        min_length=1, max_length=200, description="In the future, none overlapping another"
    )
    tables: list[TableName] = Field(
        min_length=1, max_length=100, description="Tables or online rooms, each named once"
    )
    availability: dict[Participant, Annotated[list[int], UNIQUE]] = Field(
        default={},
        description="'company:<id>' or 'city:<id>' -> slot indexes; absent: all",
        json_schema_extra=FIELD_NAMES,
    )
    min_meetings: dict[Participant, Annotated[int, Field(ge=0)]] = Field(
        default={}, json_schema_extra=FIELD_NAMES
    )
    max_meetings: dict[Participant, Annotated[int, Field(ge=0)]] = Field(
        default={}, json_schema_extra=FIELD_NAMES
    )

    @field_validator("tables")
    @classmethod
    def _tables_once(cls, tables: list[str]) -> list[str]:
        if len(set(tables)) != len(tables):
            raise ValueError("each table is named once")
        return tables

    @field_validator("slots")
    @classmethod
    def _slots_apart(cls, slots: list[Slot]) -> list[Slot]:
        ordered = sorted(slots, key=lambda slot: slot.start)
        for earlier, later in itertools.pairwise(ordered):
            if later.start < earlier.end:
                raise ValueError("slots overlap, and every table holds a meeting in every slot")
        return slots

    @model_validator(mode="after")
    def _consistent(self) -> "CreateSession":
        for participant, slots in self.availability.items():
            if any(not 0 <= slot < len(self.slots) for slot in slots):
                raise ValueError(f"availability of {participant} names a slot that does not exist")
        for participant, least in self.min_meetings.items():
            if least > self.max_meetings.get(participant, least):
                raise ValueError(f"min_meetings of {participant} is above its max_meetings")
        return self

    def participants(self) -> set[str]:
        return {*self.availability, *self.min_meetings, *self.max_meetings}


UnplacedReason = Literal[
    "no_slot_left",  # every slot of the session has started
    "outside_availability",  # the two sides' available slots have none in common
    "no_free_slot_for_both",  # in each common slot one side already meets someone
    "no_free_table",  # a slot suits both, but its tables are all taken
    "max_meetings_reached",  # one side has as many meetings as it allowed
    "cancelled_in_session",  # an admin cancelled its meeting in this session
    "not_chosen",  # possible, but better-scored meetings filled what it needed
]


class Unplaced(BaseModel):
    """A mutually accepted match the last placement left out, and why."""

    model_config = ConfigDict(frozen=True)

    match_id: str
    company_id: str
    city_id: str
    reason: UnplacedReason
    detail: str


class PlacementRun(BaseModel):
    """One scheduling of the session (the first, or a late placement): who, when, what."""

    model_config = ConfigDict(frozen=True)

    late: bool
    at: datetime
    by: str
    by_person: Actor | None = None
    placed: list[str] = Field(description="The meetings it placed")


class MatchingSession(CreateSession):
    model_config = ConfigDict(extra="ignore", frozen=True)

    # As stored: a session created before names and tables had to be one line, and slots
    # listed once, still reads.
    name: str
    tables: list[str]
    availability: dict[str, list[int]] = {}

    session_id: str
    cycle: str
    created_by: str
    created_by_person: Actor | None = None
    """Null for sessions created before people were recorded on them."""
    created_at: datetime
    scheduled: bool = False
    unplaced: list[Unplaced] = Field(
        default=[], description="Accepted matches the last placement could not place, and why"
    )
    runs: list[PlacementRun] = []

    def bounds(self) -> tuple[datetime, datetime]:
        """From its first slot's start to its last slot's end."""
        return min(slot.start for slot in self.slots), max(slot.end for slot in self.slots)


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


class MeetingChange(BaseModel):
    """An entry of a meeting's audit: who moved or cancelled it, when, why, from where."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["rescheduled", "cancelled"]
    at: datetime
    by: str
    by_person: Actor | None = None
    reason: str | None = None
    from_slot: Slot | None = None
    from_table: str | None = None
    party_agreed: bool = False
    """A move outside a side's declared availability, which the sides agreed to."""


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
    status: Literal["scheduled", "cancelled"] = "scheduled"
    cancelled_reason: str | None = None
    sequence: int = Field(default=0, description="Its revision: the iCalendar SEQUENCE")
    changes: list[MeetingChange] = Field(default=[], description="Who moved or cancelled it")

    @property
    def uid(self) -> str:
        return meeting_uid(self.meeting_id)

    def cancel(self, reason: str, change: MeetingChange) -> "Meeting":
        return self._revised(change, status="cancelled", cancelled_reason=reason)

    def moved(self, slot: Slot, table: str, change: MeetingChange) -> "Meeting":
        return self._revised(change, slot=slot, table=table)

    def _revised(self, change: MeetingChange, **update: object) -> "Meeting":
        revision = {"sequence": self.sequence + 1, "changes": [*self.changes, change]}
        return self.model_copy(update={**update, **revision})

    def who(self) -> dict[str, str]:
        """The ids its events carry: the meeting, its session, match and both sides."""
        return self.model_dump(include=set(MeetingEvent.model_fields))

    def cancellation(self) -> MeetingCancelled:
        last = self.changes[-1] if self.changes else None
        return MeetingCancelled(
            **self.who(),
            reason=self.cancelled_reason or "",
            sequence=self.sequence,
            by=last.by if last else None,
            by_person=last.by_person if last else None,
        )


def booked(match: Match, meeting_id: str | None, cycle: str | None, at: datetime) -> Match:
    """The match with its meeting, or (``None``) mutually accepted again, its meeting
    cancelled: a pair that did not meet is not barred from this cycle."""
    status: MatchStatus = "scheduled" if meeting_id else "accepted"
    update = {"status": status, "meeting_id": meeting_id, "cycle": cycle}
    return match.model_copy(update={**update, "version": match.version + 1, "updated_at": at})


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


class MeetingAnswers(BaseModel):
    meeting_id: str
    match_id: str
    company: Outcome | None
    city: Outcome | None


class SessionReport(BaseModel):
    """What the session led to: the figures a desk reports upward. Each meeting counts
    once (a step agreed by both sides is one meeting, not two); cancelled ones not at all."""

    session_id: str
    meetings: int
    meetings_with_outcome: int
    outcomes_recorded: int
    average_rating: float | None
    next_steps: dict[str, int]
    """Meetings for which either side named each next step."""
    meetings_with_mou: list[str]
    meetings_with_fs_proposal: list[str]
    answers: list[MeetingAnswers]
    """Each meeting with each side's answer."""


def report(session_id: str, meetings: list[Meeting]) -> SessionReport:
    held = [meeting for meeting in meetings if meeting.status != "cancelled"]
    outcomes = [outcome for meeting in held for outcome in meeting.outcomes.values()]
    steps = Counter(step for m in held for step in {o.next_step for o in m.outcomes.values()})

    def agreed(step: str) -> list[str]:
        return [m.meeting_id for m in held if any(o.next_step == step for o in m.outcomes.values())]

    return SessionReport(
        session_id=session_id,
        meetings=len(held),
        meetings_with_outcome=sum(1 for meeting in held if meeting.outcomes),
        outcomes_recorded=len(outcomes),
        average_rating=round(sum(o.rating for o in outcomes) / len(outcomes), 2)
        if outcomes
        else None,
        next_steps=dict(steps),
        meetings_with_mou=agreed("mou"),
        meetings_with_fs_proposal=agreed("fs_proposal"),
        answers=[
            MeetingAnswers(
                meeting_id=m.meeting_id,
                match_id=m.match_id,
                company=m.outcomes.get("company"),
                city=m.outcomes.get("city"),
            )
            for m in held
        ],
    )
