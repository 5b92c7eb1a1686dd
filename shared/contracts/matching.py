"""Events the matching service publishes on ``jamp.matches.v1``."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.contracts.base import EventPayload, published_as
from shared.contracts.identity import Actor

MatchSide = Literal["company", "city"]


class MatchFactor(BaseModel):
    """One factor's share of a score, with the evidence a person can check."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    factor: str
    """e.g. ``tag_overlap``, ``text_similarity``, ``country_experience``."""
    contribution: float
    evidence: list[str] = []
    """What matched: tags, terms, references."""


class MatchSummary(BaseModel):
    """A match as published: who, how well, and why."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    match_id: str
    proposal_id: str
    company_id: str
    company_name: str
    city_id: str
    country: str
    focus_areas: list[str]
    """The proposal's focus areas."""
    tags: list[str]
    """The proposal's solution tags."""
    score: float
    rank: int
    """The company's place in the proposal's list (1 = best)."""
    factors: list[MatchFactor]
    version: int


@published_as("jamp.match.proposed.v1", stream="matches")
class MatchProposed(EventPayload):
    """A new match entered a proposal's list."""

    match: MatchSummary


@published_as("jamp.match.offered.v1", stream="matches")
class MatchOffered(EventPayload):
    """The match is offered to both sides: its proposal was accepted, or it entered the list
    of an accepted one. Until then a list is a preview for the city and staff, which the
    company neither sees nor hears of (a proposal under review may still be rejected)."""

    match: MatchSummary


@published_as("jamp.match.updated.v1", stream="matches")
class MatchUpdated(EventPayload):
    """A match was rescored; ``changes`` says what changed and why."""

    match: MatchSummary
    previous_score: float
    changes: list[str]


@published_as("jamp.match.withdrawn.v1", stream="matches")
class MatchWithdrawn(EventPayload):
    """A match left the list (veto, the proposal closed, or it fell below the cut)."""

    match_id: str
    proposal_id: str
    company_id: str
    reason: str


@published_as("jamp.match.responded.v1", stream="matches")
class MatchResponded(EventPayload):
    """One side accepted or declined (with a reason) a match."""

    match_id: str
    proposal_id: str
    company_id: str
    side: MatchSide
    accepted: bool
    reason: str | None = None
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``."""
    message: str | None = None
    """A word to the other side with the answer. Added within v1: optional with a default,
    so events published before it still parse and older consumers ignore it."""


@published_as("jamp.match.accepted.v1", stream="matches")
class MatchAccepted(EventPayload):
    """Both sides accepted: contact details are now revealed to each other."""

    match_id: str
    proposal_id: str
    company_id: str


@published_as("jamp.match.expired.v1", stream="matches")
class MatchExpired(EventPayload):
    """One side accepted and the other let the request go unanswered past its deadline."""

    match_id: str
    proposal_id: str
    company_id: str
    waiting_for: MatchSide


MessageAuthor = Literal["company", "city", "staff"]


@published_as("jamp.match.message_posted.v1", stream="matches")
class MatchMessagePosted(EventPayload):
    """A message on a mutually accepted match's thread, from one side or from staff."""

    message_id: str
    match_id: str
    proposal_id: str
    company_id: str
    city_id: str
    side: MessageAuthor
    body: str
    at: datetime
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``."""


class MeetingSlot(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    start: datetime
    end: datetime


def meeting_uid(meeting_id: str) -> str:
    """The meeting's iCalendar UID, the same in the agenda and in every invitation, so a
    calendar that imports both holds one event. Fixed, not built from a setting: a UID that
    changed with a domain setting would duplicate every meeting in people's calendars."""
    return f"meeting-{meeting_id}@jamp-desk"


@published_as("jamp.matching_session.created.v1", stream="matches")
class MatchingSessionCreated(EventPayload):
    """An admin opened a business-matching session (e.g. the annual high-level meeting)."""

    session_id: str
    name: str
    cycle: str
    slots: list[MeetingSlot]
    tables: list[str]
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``."""


ONLINE_ROOM_SCHEMES = ("https://", "http://")


def is_online_room(table: str) -> bool:
    """What a meeting's ``table`` means to its readers: a table named by a link is an
    online room, anything else a place. ``http`` still counts, for sessions stored before
    new rooms had to be ``https`` (the matching service checks links it accepts)."""
    return table.lower().startswith(ONLINE_ROOM_SCHEMES)  # a scheme ignores case


class MeetingEvent(EventPayload):
    """What every event of one meeting names: the meeting, its session, match and sides."""

    meeting_id: str
    session_id: str
    match_id: str
    proposal_id: str
    company_id: str
    city_id: str


@published_as("jamp.meeting.scheduled.v1", stream="matches")
class MeetingScheduled(MeetingEvent):
    """An accepted match got a slot and a table (or online room) in a session."""

    slot: MeetingSlot
    table: str
    score: float
    sequence: int | None = None
    """The meeting's revision (iCalendar SEQUENCE): 0 when scheduled. Absent from events
    published before revisions were counted; consumers then count for themselves."""
    by: str | None = None
    """The admin whose schedule run placed it; optional v1 fields, null in events
    published before."""
    by_person: Actor | None = None


@published_as("jamp.meeting.rescheduled.v1", stream="matches")
class MeetingRescheduled(MeetingEvent):
    """An admin moved a meeting that had not started to another time, table or online room;
    ``sequence`` is its new revision (the invitation's update carries it)."""

    slot: MeetingSlot
    table: str
    """The table or room, or the online room's link."""
    previous_slot: MeetingSlot
    previous_table: str
    sequence: int
    reason: str | None = None
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``."""


@published_as("jamp.meeting.cancelled.v1", stream="matches")
class MeetingCancelled(MeetingEvent):
    """A meeting that had not started was cancelled: by an admin (``by`` names the grant,
    ``by_person`` the person), or because its match was withdrawn (the proposal was
    rejected, withdrawn or closed, or the company suspended; ``by`` is then the service)."""

    reason: str
    sequence: int | None = None
    """The cancelled meeting's revision; absent from events of before revisions were counted."""
    by: str | None = None
    by_person: Actor | None = None


@published_as("jamp.meeting.outcome_recorded.v1", stream="matches")
class MeetingOutcomeRecorded(EventPayload):
    """After a meeting one side recorded how it went and what comes next."""

    meeting_id: str
    match_id: str
    side: MatchSide
    rating: int
    next_step: Literal["mou", "fs_proposal", "none"]
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``."""
