"""Use cases of business-matching sessions: create, schedule, record outcomes, report."""

from datetime import datetime
from typing import Literal

from services.matching.index.matchmaker import Matchmaker
from services.matching.model import AlreadyAnswered, Match, MatchClosed, NotAllowed
from services.matching.repository import IndexClock, MatchRepository, ReadModels
from services.matching.scoring.history import OUTCOMES
from services.matching.sessions.agenda import Agenda, entry_of
from services.matching.sessions.model import (
    COMPANY_TIME_ZONE,
    CreateSession,
    InvalidSession,
    MatchingSession,
    Meeting,
    MeetingNotFound,
    MeetingView,
    NotStarted,
    Outcome,
    PartyNotFound,
    PlacementRun,
    RecordOutcome,
    SessionNotFound,
    SessionReport,
    SessionView,
    booked,
    fiscal_year,
    is_video_link,
    report,
)
from services.matching.sessions.placement import placement, unplaced
from services.matching.sessions.repository import SessionRepository
from services.matching.sessions.scheduler import schedule
from shared.auth import Principal
from shared.clock import utc_now
from shared.contracts.matching import (
    MatchingSessionCreated,
    MeetingOutcomeRecorded,
    MeetingScheduled,
)
from shared.mongo import new_id
from shared.platform import Platform, Trace, unit_of_work


async def create_session(
    command: CreateSession,
    *,
    platform: Platform,
    sessions: SessionRepository,
    read_models: ReadModels,
    trace: Trace,
) -> MatchingSession:
    await _check(command, utc_now(), read_models)
    session_model = MatchingSession(
        **command.model_dump(exclude={"cycle"}),
        session_id=new_id(),
        cycle=command.cycle or fiscal_year(command.slots[0].start),
        created_by=trace.actor,
        created_by_person=trace.by,
        created_at=utc_now(),
    )
    async with unit_of_work(platform, trace) as uow:
        await sessions.save_session(session_model, uow.session)
        await uow.publish(
            session_model.session_id,
            MatchingSessionCreated(
                session_id=session_model.session_id,
                name=session_model.name,
                cycle=session_model.cycle,
                slots=[slot.published() for slot in session_model.slots],
                tables=session_model.tables,
                by=trace.actor,
                by_person=trace.by,
            ),
        )
    return session_model


async def _check(command: CreateSession, now: datetime, read_models: ReadModels) -> None:
    """What the model alone cannot know (slots still to come, participants that exist), and
    what stored sessions may predate (rooms named by links checked as links): the stored
    model is the request's, and must still read those."""
    for n, slot in enumerate(command.slots):
        if slot.start <= now:
            raise InvalidSession("a slot must start in the future", field=f"body.slots.{n}.start")
    for n, table in enumerate(command.tables):
        if "://" in table and not is_video_link(table):
            raise InvalidSession(
                "a table's name, or an https:// video link to a host", field=f"body.tables.{n}"
            )
    for participant in sorted(command.participants()):
        kind, _, participant_id = participant.partition(":")
        known = (
            await read_models.company(participant_id)
            if kind == "company"
            else await read_models.city(participant_id)
        )
        if known is None:
            where = next(
                name
                for name in ("availability", "min_meetings", "max_meetings")
                if participant in getattr(command, name)
            )
            raise InvalidSession(
                f"no {kind} {participant_id} is known", field=f"body.{where}.{participant}"
            )


async def schedule_session(
    session_id: str,
    *,
    late: bool = False,
    platform: Platform,
    sessions: SessionRepository,
    matches: MatchRepository,
    read_models: ReadModels,
    clock: IndexClock,
    trace: Trace,
) -> SessionView:
    """Every mutually accepted match not yet scheduled gets the best slot and table it can:
    the first time (``late`` False) in an empty session, later around the meetings already
    placed, which keep their slot and table. What stays out is listed with its reason."""
    now = utc_now()
    async with unit_of_work(platform, trace) as uow:
        tick = await clock.tick(uow.session)
        found = await sessions.session(session_id, uow.session)
        if found is None:
            raise SessionNotFound(f"no session {session_id}")
        if found.scheduled != late:
            raise MatchClosed(
                "the session is already scheduled: place late matches instead"
                if found.scheduled
                else "the session is not scheduled yet: schedule it first",
                session_id=session_id,
            )
        existing = await sessions.meetings_of(session_id, uow.session)
        cancelled_here = {m.match_id for m in existing if m.status == "cancelled"}
        accepted = await matches.search_status("accepted", uow.session)
        candidates = [m for m in accepted if m.match_id not in cancelled_here]
        busy = await sessions.busy(_participants(candidates), uow.session)
        kept = [m for m in existing if m.status != "cancelled"]
        plan = placement(found, candidates, busy, kept, now, late=late)
        placed = schedule(plan.problem)
        by_id = {match.match_id: match for match in candidates}
        meeting_ids = []
        for match_id, (slot, table) in placed.items():
            meeting = await _meeting(
                found, by_id[match_id], slot, plan.free[slot][table], read_models
            )
            await sessions.save_meeting(meeting, uow.session)
            scheduled = booked(by_id[match_id], meeting.meeting_id, found.cycle, now)
            await matches.save(scheduled, uow.session, tick.seq)
            # Keyed by the meeting, as its moves and cancellation are: one partition keeps
            # a meeting's invitation ahead of its updates.
            await uow.publish(meeting.meeting_id, _scheduled_event(meeting, trace))
            meeting_ids.append(meeting.meeting_id)
        left = unplaced(plan, placed, [m for m in accepted if m.match_id in cancelled_here])
        run = PlacementRun(
            late=late, at=now, by=trace.actor, by_person=trace.by, placed=meeting_ids
        )
        done = {"scheduled": True, "unplaced": left, "runs": [*found.runs, run]}
        await sessions.save_session(found.model_copy(update=done), uow.session)
    return await get_session(session_id, sessions=sessions)


def _participants(accepted: list[Match]) -> set[str]:
    return {p for m in accepted for p in (f"company:{m.company_id}", f"city:{m.city_id}")}


async def _meeting(
    found: MatchingSession, match: Match, slot: int, table: str, read_models: ReadModels
) -> Meeting:
    city = await read_models.city(match.city_id)
    return Meeting(
        meeting_id=new_id(),
        session_id=found.session_id,
        match_id=match.match_id,
        proposal_id=match.proposal_id,
        company_id=match.company_id,
        city_id=match.city_id,
        slot=found.slots[slot],
        table=table,
        score=match.score,
        city_time_zone=city.time_zone if city else "UTC",
    )


def _scheduled_event(meeting: Meeting, trace: Trace) -> MeetingScheduled:
    return MeetingScheduled(
        **meeting.who(),
        slot=meeting.slot.published(),
        table=meeting.table,
        score=meeting.score,
        sequence=meeting.sequence,
        by=trace.actor,
        by_person=trace.by,
    )


async def get_session(session_id: str, *, sessions: SessionRepository) -> SessionView:
    found = await sessions.session(session_id)
    if found is None:
        raise SessionNotFound(f"no session {session_id}")
    meetings = [MeetingView.of(meeting) for meeting in await sessions.meetings_of(session_id)]
    return SessionView(**found.model_dump(), meetings=meetings)


async def agenda(
    side: Literal["company", "city"],
    party_id: str,
    *,
    sessions: SessionRepository,
    read_models: ReadModels,
) -> Agenda:
    """The party's meetings in its own zone: Japan time for a company, the city's own."""
    if side == "company":
        known = await read_models.company(party_id) is not None
        zone = COMPANY_TIME_ZONE
    else:
        city = await read_models.city(party_id)
        known, zone = city is not None, city.time_zone if city else "UTC"
    if not known:
        raise PartyNotFound(f"no {side} {party_id}")
    meetings = await sessions.meetings_with(f"{side}_id", party_id)
    names = await sessions.session_names({meeting.session_id for meeting in meetings})
    parties = await read_models.parties(
        {meeting.company_id for meeting in meetings}, {meeting.proposal_id for meeting in meetings}
    )
    entries = [
        entry_of(
            meeting,
            zone,
            session_name=names.get(meeting.session_id, ""),
            company_name=parties.company_name(meeting.company_id),
            proposal_title=parties.proposal_title(meeting.proposal_id),
        )
        for meeting in meetings
    ]
    return Agenda(party=f"{side}:{party_id}", time_zone=zone, meetings=entries)


async def get_meeting(
    meeting_id: str, caller: Principal, *, sessions: SessionRepository
) -> MeetingView:
    meeting = await sessions.meeting(meeting_id)
    if meeting is None:
        raise MeetingNotFound(f"no meeting {meeting_id}")
    if not caller.is_staff:
        _side(meeting, caller)
    return MeetingView.of(meeting)


def _side(meeting: Meeting, caller: Principal) -> str:
    if caller.role == "company" and caller.scope == meeting.company_id:
        return "company"
    if caller.role == "city" and caller.scope == meeting.city_id:
        return "city"
    raise NotAllowed(f"only the company or the city of meeting {meeting.meeting_id} may do this")


async def record_outcome(
    meeting_id: str,
    caller: Principal,
    command: RecordOutcome,
    *,
    platform: Platform,
    sessions: SessionRepository,
    trace: Trace,
    maker: Matchmaker | None = None,
) -> MeetingView:
    async with unit_of_work(platform, trace) as uow:
        meeting = await sessions.meeting(meeting_id, uow.session)
        if meeting is None:
            raise MeetingNotFound(f"no meeting {meeting_id}")
        side = _side(meeting, caller)
        if meeting.status == "cancelled":
            raise NotStarted("the meeting was cancelled", meeting_status=meeting.status)
        if utc_now() < meeting.slot.start:
            raise NotStarted(
                "an outcome can be recorded once the meeting has started",
                starts_at=meeting.slot.start.isoformat(),
            )
        if side in meeting.outcomes:
            raise AlreadyAnswered(f"the {side} already recorded this meeting's outcome")
        outcome = Outcome(**command.model_dump(), by=caller.name, by_person=trace.by, at=utc_now())
        recorded = meeting.model_copy(update={"outcomes": {**meeting.outcomes, side: outcome}})
        await sessions.save_meeting(recorded, uow.session)
        await uow.publish(
            meeting_id,
            MeetingOutcomeRecorded(
                meeting_id=meeting_id,
                match_id=meeting.match_id,
                side="company" if side == "company" else "city",
                rating=command.rating,
                next_step=command.next_step,
                by=caller.name,
                by_person=trace.by,
            ),
        )
        if maker is not None and command.next_step in OUTCOMES:
            led_to = f"meeting {meeting_id} led to {OUTCOMES[command.next_step]}"
            await maker.record_changed(meeting.company_id, led_to, uow)
    return MeetingView.of(recorded)


async def session_report(session_id: str, *, sessions: SessionRepository) -> SessionReport:
    if await sessions.session(session_id) is None:
        raise SessionNotFound(f"no session {session_id}")
    return report(session_id, await sessions.meetings_of(session_id))
