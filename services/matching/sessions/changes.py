"""Use cases of an admin's change to one meeting: move it, or cancel it with a reason.
Each change is kept in the meeting's ``changes`` (who, grant and person, when, why, from
where), raises its revision (the iCalendar SEQUENCE) and is published."""

from services.matching.repository import IndexClock, MatchRepository
from services.matching.sessions.model import (
    Meeting,
    MeetingChange,
    MeetingNotFound,
    MeetingView,
    booked,
)
from services.matching.sessions.moves import (
    CancelMeeting,
    RescheduleMeeting,
    check_move,
    still_open,
)
from services.matching.sessions.repository import Session, SessionRepository
from shared.clock import utc_now
from shared.contracts.matching import MeetingRescheduled
from shared.platform import Platform, Trace, unit_of_work


async def reschedule_meeting(
    meeting_id: str,
    command: RescheduleMeeting,
    *,
    platform: Platform,
    sessions: SessionRepository,
    clock: IndexClock,
    trace: Trace,
) -> MeetingView:
    now = utc_now()
    async with unit_of_work(platform, trace) as uow:
        # The clock's tick serialises this move with schedules and other moves: two moves
        # onto one party's free hour cannot both pass the check.
        await clock.tick(uow.session)
        meeting = await _meeting(meeting_id, sessions, uow.session)
        found = await sessions.session(meeting.session_id, uow.session)
        assert found is not None, "a meeting's session is never deleted"
        slot = command.slot.in_utc() if command.slot else meeting.slot
        target = (slot, command.table or meeting.table)
        nearby = await sessions.near(meeting, uow.session)
        check_move(meeting, target, found, nearby, now, party_agreed=command.party_agreed)
        if target == (meeting.slot, meeting.table):
            return MeetingView.of(meeting)  # already there: a retried request changes nothing
        change = MeetingChange(
            kind="rescheduled", at=now, by=trace.actor, by_person=trace.by,
            reason=command.reason, from_slot=meeting.slot, from_table=meeting.table,
            party_agreed=command.party_agreed,
        )  # fmt: skip
        moved = meeting.moved(*target, change)
        await sessions.save_meeting(moved, uow.session)
        await uow.publish(
            meeting_id,
            MeetingRescheduled(
                **moved.who(), slot=moved.slot.published(), table=moved.table,
                previous_slot=meeting.slot.published(), previous_table=meeting.table,
                sequence=moved.sequence, reason=command.reason,
                by=trace.actor, by_person=trace.by,
            ),
        )  # fmt: skip
    return MeetingView.of(moved)


async def cancel_meeting(
    meeting_id: str,
    command: CancelMeeting,
    *,
    platform: Platform,
    sessions: SessionRepository,
    matches: MatchRepository,
    clock: IndexClock,
    trace: Trace,
) -> MeetingView:
    """The match is mutually accepted again (the pair did not meet), for another session;
    this session's late placement does not offer it again."""
    now = utc_now()
    async with unit_of_work(platform, trace) as uow:
        tick = await clock.tick(uow.session)
        meeting = await _meeting(meeting_id, sessions, uow.session)
        still_open(meeting, now)
        change = MeetingChange(
            kind="cancelled", at=now, by=trace.actor, by_person=trace.by, reason=command.reason
        )
        cancelled = meeting.cancel(command.reason, change)
        await sessions.save_meeting(cancelled, uow.session)
        match = await matches.get(meeting.match_id, uow.session)
        if match is not None and match.status == "scheduled" and match.meeting_id == meeting_id:
            await matches.save(booked(match, None, None, now), uow.session, tick.seq)
        await uow.publish(meeting_id, cancelled.cancellation())
    return MeetingView.of(cancelled)


async def _meeting(meeting_id: str, sessions: SessionRepository, session: Session) -> Meeting:
    meeting = await sessions.meeting(meeting_id, session)
    if meeting is None:
        raise MeetingNotFound(f"no meeting {meeting_id}")
    return meeting
