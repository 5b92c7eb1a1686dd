"""HTTP views of the matching service: parse, call one handler, shape the answer."""

from datetime import timedelta
from typing import Literal

from aiohttp import web

from services.matching import handlers
from services.matching.disclosure import MatchView
from services.matching.keys import (
    CLOCK,
    MATCHES,
    MATCHING_SETTINGS,
    MATCHMAKER,
    READ_MODELS,
    SESSIONS,
)
from services.matching.model import (
    Accept,
    AlreadyAnswered,
    Decline,
    MatchClosed,
    MatchNotFound,
    MatchQuery,
    NotAllowed,
    NotYetOpen,
)
from services.matching.sessions import changes as meeting_changes
from services.matching.sessions import handlers as meeting_handlers
from services.matching.sessions.agenda import Agenda, to_ics
from services.matching.sessions.model import (
    CreateSession,
    InvalidSession,
    MatchingSession,
    MeetingNotFound,
    MeetingView,
    NotStarted,
    PartyNotFound,
    RecordOutcome,
    SessionNotFound,
    SessionReport,
    SessionView,
)
from services.matching.sessions.moves import (
    CancelMeeting,
    MeetingClash,
    MeetingClosed,
    OutsideAvailability,
    OutsideSession,
    RescheduleMeeting,
)
from services.matching.sessions.scheduler import Unschedulable
from shared.auth import Role, allow
from shared.clock import utc_now
from shared.http.endpoints import ApiRoutes, Reply, principal_of, trace_of
from shared.http.negotiation import JSON, preferred
from shared.http.pagination import Page
from shared.http.problems import Conflict, Forbidden, InvalidReference, InvalidValue, NotFound
from shared.platform import PLATFORM

api = ApiRoutes(
    "matching",
    errors={
        MatchNotFound: NotFound,
        SessionNotFound: NotFound,
        MeetingNotFound: NotFound,
        PartyNotFound: NotFound,
        NotAllowed: Forbidden,
        NotYetOpen: Conflict,
        MatchClosed: Conflict,
        AlreadyAnswered: Conflict,
        Unschedulable: Conflict,
        InvalidSession: InvalidReference,
        NotStarted: Conflict,
        MeetingClosed: Conflict,
        MeetingClash: Conflict,
        OutsideSession: InvalidValue,
        OutsideAvailability: Conflict,
    },
)
CALENDAR = "text/calendar"
SIDES = allow(Role.COMPANY, Role.CITY)
STAFF = allow(Role.OPERATOR, Role.ADMIN)


@api.get(
    "/proposals/{proposal_id}/matches",
    summary="A proposal's matches, best first, with factors and evidence",
    access=allow(Role.CITY, Role.DESK, Role.OPERATOR, Role.ADMIN),
    query=MatchQuery,
    response=Page[MatchView],
    problems=(403, 404),
)
async def proposal_matches(request: web.Request, query: MatchQuery) -> Page[MatchView]:
    return await handlers.matches_of_proposal(
        request.match_info["proposal_id"],
        principal_of(request),
        query,
        request.app[READ_MODELS],
        request.app[MATCHES],
    )


@api.get(
    "/companies/{company_id}/matches",
    summary="A company's matches, best first",
    access=allow(Role.COMPANY, Role.OPERATOR, Role.ADMIN, owner=(Role.COMPANY, "company_id")),
    query=MatchQuery,
    response=Page[MatchView],
    problems=(404,),
)
async def company_matches(request: web.Request, query: MatchQuery) -> Page[MatchView]:
    return await handlers.matches_of_company(
        request.match_info["company_id"],
        principal_of(request),
        query,
        request.app[READ_MODELS],
        request.app[MATCHES],
    )


@api.get(
    "/matches/{match_id}",
    summary="One match: its sides, staff, and the desk of its country (404 to anyone else)",
    access=allow(Role.COMPANY, Role.CITY, Role.DESK, Role.OPERATOR, Role.ADMIN),
    response=MatchView,
    problems=(404,),
)
async def get_match(request: web.Request) -> MatchView:
    return await handlers.get_match(
        request.match_info["match_id"],
        principal_of(request),
        request.app[READ_MODELS],
        request.app[MATCHES],
    )


async def _respond(request: web.Request, accepted: bool, body: Accept) -> MatchView:
    days = request.app[MATCHING_SETTINGS].matching_response_days
    return await handlers.respond(
        request.match_info["match_id"],
        principal_of(request),
        accepted,
        body,
        platform=request.app[PLATFORM],
        matches=request.app[MATCHES],
        read_models=request.app[READ_MODELS],
        clock=request.app[CLOCK],
        response_window=timedelta(days=days),
        trace=trace_of(request),
    )


@api.post(
    "/matches/{match_id}/accept",
    summary="Accept a match for your own side, with an optional message; both sides accepted "
    "reveals the contacts",
    access=SIDES,
    body=Accept,
    body_optional=True,
    response=MatchView,
    problems=(403, 404, 409),
)
async def accept_match(request: web.Request, body: Accept) -> MatchView:
    return await _respond(request, True, body)


@api.post(
    "/matches/{match_id}/decline",
    summary="Decline a match for your own side, with a reason and an optional message",
    access=SIDES,
    body=Decline,
    response=MatchView,
    problems=(403, 404, 409),
)
async def decline_match(request: web.Request, body: Decline) -> MatchView:
    return await _respond(request, False, body)


@api.post(
    "/sessions",
    summary="Open a business-matching session with slots, tables and availability",
    access=allow(Role.ADMIN),
    body=CreateSession,
    response=MatchingSession,
    status=201,
)
async def create_session(request: web.Request, body: CreateSession) -> Reply:
    created = await meeting_handlers.create_session(
        body,
        platform=request.app[PLATFORM],
        sessions=request.app[SESSIONS],
        read_models=request.app[READ_MODELS],
        trace=trace_of(request),
    )
    return Reply(created, headers={"Location": f"/sessions/{created.session_id}"})


@api.get(
    "/sessions/{session_id}",
    summary="A session with its meetings, in each participant's local time",
    access=STAFF,
    response=SessionView,
    problems=(404,),
)
async def get_session(request: web.Request) -> SessionView:
    session_id = request.match_info["session_id"]
    return await meeting_handlers.get_session(session_id, sessions=request.app[SESSIONS])


@api.post(
    "/sessions/{session_id}/schedule",
    summary="Schedule every mutually accepted match: best total score, nobody double-booked",
    access=allow(Role.ADMIN),
    response=SessionView,
    problems=(404, 409),
)
async def schedule_session(request: web.Request) -> SessionView:
    return await _schedule(request, late=False)


async def _schedule(request: web.Request, late: bool) -> SessionView:
    return await meeting_handlers.schedule_session(
        request.match_info["session_id"],
        late=late,
        platform=request.app[PLATFORM],
        sessions=request.app[SESSIONS],
        matches=request.app[MATCHES],
        read_models=request.app[READ_MODELS],
        clock=request.app[CLOCK],
        trace=trace_of(request),
    )


@api.post(
    "/sessions/{session_id}/place-late",
    summary="Place mutual acceptances that came after scheduling; placed meetings stay put",
    access=allow(Role.ADMIN),
    response=SessionView,
    problems=(404, 409),
)
async def place_late_matches(request: web.Request) -> SessionView:
    return await _schedule(request, late=True)


@api.get(
    "/sessions/{session_id}/report",
    summary="What the session's meetings led to: ratings and next steps",
    access=STAFF,
    response=SessionReport,
    problems=(404,),
)
async def session_report(request: web.Request) -> SessionReport:
    session_id = request.match_info["session_id"]
    return await meeting_handlers.session_report(session_id, sessions=request.app[SESSIONS])


@api.get(
    "/meetings/{meeting_id}",
    summary="One meeting, in each participant's local time",
    access=allow(Role.COMPANY, Role.CITY, Role.OPERATOR, Role.ADMIN),
    response=MeetingView,
    problems=(403, 404),
)
async def get_meeting(request: web.Request) -> MeetingView:
    return await meeting_handlers.get_meeting(
        request.match_info["meeting_id"], principal_of(request), sessions=request.app[SESSIONS]
    )


@api.post(
    "/meetings/{meeting_id}/outcome",
    summary="Record how the meeting went for your side: rating and next step",
    access=SIDES,
    body=RecordOutcome,
    response=MeetingView,
    problems=(403, 404, 409),
)
async def record_outcome(request: web.Request, body: RecordOutcome) -> MeetingView:
    return await meeting_handlers.record_outcome(
        request.match_info["meeting_id"],
        principal_of(request),
        body,
        platform=request.app[PLATFORM],
        sessions=request.app[SESSIONS],
        trace=trace_of(request),
        maker=request.app[MATCHMAKER],
    )


@api.post(
    "/meetings/{meeting_id}/reschedule",
    summary="Move one meeting to another time, table or video link (admins)",
    access=allow(Role.ADMIN),
    body=RescheduleMeeting,
    response=MeetingView,
    problems=(403, 404, 409, 422),
)
async def reschedule_meeting(request: web.Request, body: RescheduleMeeting) -> MeetingView:
    return await meeting_changes.reschedule_meeting(
        request.match_info["meeting_id"],
        body,
        platform=request.app[PLATFORM],
        sessions=request.app[SESSIONS],
        clock=request.app[CLOCK],
        trace=trace_of(request),
    )


@api.post(
    "/meetings/{meeting_id}/cancel",
    summary="Cancel one meeting with a reason (admins)",
    access=allow(Role.ADMIN),
    body=CancelMeeting,
    response=MeetingView,
    problems=(403, 404, 409),
)
async def cancel_meeting(request: web.Request, body: CancelMeeting) -> MeetingView:
    return await meeting_changes.cancel_meeting(
        request.match_info["meeting_id"],
        body,
        platform=request.app[PLATFORM],
        sessions=request.app[SESSIONS],
        matches=request.app[MATCHES],
        clock=request.app[CLOCK],
        trace=trace_of(request),
    )


async def _agenda(request: web.Request, side: Literal["company", "city"]) -> Agenda | web.Response:
    found = await meeting_handlers.agenda(
        side,
        request.match_info[f"{side}_id"],
        sessions=request.app[SESSIONS],
        read_models=request.app[READ_MODELS],
    )
    if preferred(request, (JSON, CALENDAR)) == CALENDAR:
        return web.Response(body=to_ics(found, utc_now()), content_type=CALENDAR)
    return found


@api.get(
    "/companies/{company_id}/meetings",
    summary="A company's meetings in Japan time; Accept: text/calendar for an RFC 5545 calendar",
    access=allow(Role.COMPANY, Role.OPERATOR, Role.ADMIN, owner=(Role.COMPANY, "company_id")),
    response=Agenda,
    also_as=(CALENDAR,),
    problems=(404,),
)
async def company_meetings(request: web.Request) -> Agenda | web.Response:
    return await _agenda(request, "company")


@api.get(
    "/cities/{city_id}/meetings",
    summary="A city's meetings in its own zone; Accept: text/calendar for an RFC 5545 calendar",
    access=allow(Role.CITY, Role.OPERATOR, Role.ADMIN, owner=(Role.CITY, "city_id")),
    response=Agenda,
    also_as=(CALENDAR,),
    problems=(404,),
)
async def city_meetings(request: web.Request) -> Agenda | web.Response:
    return await _agenda(request, "city")
