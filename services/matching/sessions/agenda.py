"""A party's agenda: its meetings in its own time zone, as JSON or as an RFC 5545
calendar. Pure: no I/O."""

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from pydantic import BaseModel, Field

from services.matching.sessions.model import Meeting
from shared.contracts.matching import is_online_room

PRODID = "-//JAMP Desk//matching agenda//EN"


class AgendaEntry(BaseModel):
    meeting_id: str
    session_id: str
    session_name: str
    match_id: str
    proposal_id: str
    proposal_title: str
    company_id: str
    company_name: str
    city_id: str
    start: datetime = Field(description="In the agenda's time zone")
    end: datetime
    table: str
    location: str = Field(description="The table or room; 'Online' for an online room")
    video_link: str | None = Field(default=None, description="The online room's link")
    status: str
    cancelled_reason: str | None = None
    uid: str = Field(description="Its iCalendar UID, the same as in its invitations")
    sequence: int = Field(description="Its revision, the SEQUENCE of its latest invitation")


class Agenda(BaseModel):
    """One company's or city's meetings, earliest first."""

    party: str = Field(description="'company:<id>' or 'city:<id>'")
    time_zone: str
    meetings: list[AgendaEntry]


def entry_of(
    meeting: Meeting, zone: str, *, session_name: str, company_name: str, proposal_title: str
) -> AgendaEntry:
    where = ZoneInfo(zone)
    online = is_online_room(meeting.table)
    return AgendaEntry(
        **meeting.who(),
        session_name=session_name,
        proposal_title=proposal_title,
        company_name=company_name,
        start=meeting.slot.start.astimezone(where),
        end=meeting.slot.end.astimezone(where),
        table=meeting.table,
        location="Online" if online else meeting.table,
        video_link=meeting.table if online else None,
        status=meeting.status,
        cancelled_reason=meeting.cancelled_reason,
        uid=meeting.uid,
        sequence=meeting.sequence,
    )


def to_ics(agenda: Agenda, now: datetime) -> bytes:
    """The agenda as a calendar a person subscribes to; times carry the agenda's zone."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-timezone", agenda.time_zone)
    for entry in agenda.meetings:
        event = Event()
        event.add("uid", entry.uid)
        event.add("sequence", entry.sequence)
        event.add("dtstamp", now)
        event.add("dtstart", entry.start)
        event.add("dtend", entry.end)
        event.add("summary", f"{entry.company_name} \u00d7 {entry.proposal_title}")
        event.add("location", entry.location)
        event.add("description", f"{entry.session_name}, {entry.table}")
        if entry.video_link:
            event.add("url", entry.video_link)
        event.add("status", "CANCELLED" if entry.status == "cancelled" else "CONFIRMED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    ics: bytes = calendar.to_ical()
    return ics
