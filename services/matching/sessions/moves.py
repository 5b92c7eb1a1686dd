"""An admin's change to one meeting: a move (slot, table or online room) or a cancellation,
and the rules a move must keep. Pure: no I/O."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.matching.sessions.model import (
    MatchingSession,
    Meeting,
    Slot,
    TableName,
    is_video_link,
)
from shared.errors import DomainError


class MeetingClosed(DomainError):
    """The meeting was cancelled or has started: it can no longer be moved or cancelled."""


class OutsideSession(DomainError):
    """A move to a time in the past, outside the session, or to a table it does not have."""


class MeetingClash(DomainError):
    """A move onto a time one party already meets someone else, or onto a taken table."""


class OutsideAvailability(DomainError):
    """A move onto a time a party did not declare itself available, without its agreement."""


class RescheduleMeeting(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "slot": {"start": "2025-10-08T02:00:00Z", "end": "2025-10-08T02:30:00Z"},
                    "table": "https://meet.example.org/jamp-room-2",
                    "reason": "The city's delegation arrives late",
                }
            ]
        },
    )

    slot: Slot | None = Field(default=None, description="The new time; absent: unchanged")
    table: TableName | None = Field(
        default=None,
        description="One of the session's tables, or an https:// video link; absent: unchanged",
    )
    reason: str | None = Field(default=None, max_length=500)
    party_agreed: bool = Field(
        default=False,
        description="The parties agreed to a time outside the slots they declared themselves "
        "available in (recorded in the meeting's audit); without it such a move is refused",
    )

    @model_validator(mode="after")
    def _something(self) -> "RescheduleMeeting":
        if self.slot is None and self.table is None:
            raise ValueError("name a new slot, a new table or video link, or both")
        return self


class CancelMeeting(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"reason": "The company cannot travel this month"}]},
    )

    reason: str = Field(min_length=3, max_length=500)


def still_open(meeting: Meeting, now: datetime) -> None:
    if meeting.status == "cancelled":
        raise MeetingClosed("the meeting was cancelled", meeting_status=meeting.status)
    if meeting.slot.start <= now:
        raise MeetingClosed(
            "the meeting has started",
            meeting_status="started",
            starts_at=meeting.slot.start.isoformat(),
        )


def check_move(
    meeting: Meeting,
    target: tuple[Slot, str],
    found: MatchingSession,
    others: list[Meeting],
    now: datetime,
    *,
    party_agreed: bool = False,
) -> None:
    """Refuse a move that leaves the session's time or tables, a party's declared
    availability (unless ``party_agreed``), or that double-books a party or a table;
    ``others`` are the meetings that could clash (cancelled ones excluded)."""
    still_open(meeting, now)
    slot, table = target
    first, last = found.bounds()
    if slot.start <= now:
        raise OutsideSession("the new time must be in the future", field="body.slot.start")
    if slot.start < first:
        raise OutsideSession(f"the session starts at {first.isoformat()}", field="body.slot.start")
    if slot.end > last:
        raise OutsideSession(f"the session ends at {last.isoformat()}", field="body.slot.end")
    if table not in found.tables and not is_video_link(table):
        raise OutsideSession(
            "a table of the session or an https:// video link to a host", field="body.table"
        )
    if not party_agreed:
        _within_availability(meeting, slot, found)
    for other in others:
        if not (other.slot.start < slot.end and slot.start < other.slot.end):
            continue
        party = _shared_party(meeting, other)
        if party is not None:
            raise MeetingClash(
                f"the {party} already meets someone then", field="body.slot",
                party=party, conflicting_meeting=other.meeting_id,
            )  # fmt: skip
        if other.session_id == meeting.session_id and other.table == table:
            raise MeetingClash(
                f"{table} is taken then", field="body.table",
                conflicting_meeting=other.meeting_id,
            )  # fmt: skip


def _within_availability(meeting: Meeting, slot: Slot, found: MatchingSession) -> None:
    """Each side that declared its slots meets only within them (adjacent slots together
    cover a longer meeting); a side that declared none is available throughout."""
    for party, participant in (("company", f"company:{meeting.company_id}"),
                               ("city", f"city:{meeting.city_id}")):  # fmt: skip
        declared = found.availability.get(participant)
        if declared is None or _covered(slot, [found.slots[n] for n in declared]):
            continue
        raise OutsideAvailability(
            f"the {party} declared itself available only in slots {sorted(declared)}; "
            "set party_agreed if it agreed to this time",
            field="body.slot", party=party, available_slots=sorted(declared),
        )  # fmt: skip


def _covered(slot: Slot, available: list[Slot]) -> bool:
    reached = slot.start
    for free in sorted(available, key=lambda s: s.start):
        if free.start <= reached < free.end:
            reached = free.end
        if reached >= slot.end:
            return True
    return False


def _shared_party(meeting: Meeting, other: Meeting) -> str | None:
    if other.company_id == meeting.company_id:
        return "company"
    if other.city_id == meeting.city_id:
        return "city"
    return None
