"""An agenda entry's place and time, and the calendar it becomes."""

from datetime import UTC, datetime

from icalendar import Calendar

from services.matching.sessions.agenda import Agenda, entry_of, to_ics
from services.matching.sessions.model import Meeting, MeetingChange, Slot
from shared.contracts.matching import meeting_uid

SLOT = Slot(
    start=datetime(2026, 10, 8, 1, tzinfo=UTC), end=datetime(2026, 10, 8, 1, 30, tzinfo=UTC)
)


def meeting(table: str) -> Meeting:
    return Meeting(
        meeting_id="m1",
        session_id="s1",
        match_id="x1",
        proposal_id="p1",
        company_id="c1",
        city_id="da-nang",
        slot=SLOT,
        table=table,
        score=0.8,
    )


def entry(table: str, zone: str = "Asia/Tokyo", cancelled: bool = False) -> Agenda:
    withdrawn = MeetingChange(kind="cancelled", at=SLOT.start, by="matching")
    found = meeting(table).cancel("proposal withdrawn", withdrawn) if cancelled else meeting(table)
    names = {"session_name": "Tokyo", "company_name": "Kaiyo", "proposal_title": "Water"}
    return Agenda(party="company:c1", time_zone=zone, meetings=[entry_of(found, zone, **names)])


def test_a_table_is_the_location_and_a_link_is_an_online_room() -> None:
    [at_table] = entry("Table A").meetings
    [online] = entry("https://meet.example.org/r1").meetings
    assert (at_table.location, at_table.video_link) == ("Table A", None)
    assert (online.location, online.video_link) == ("Online", "https://meet.example.org/r1")


def test_times_are_in_the_agendas_zone() -> None:
    [local] = entry("Table A", zone="Asia/Ho_Chi_Minh").meetings
    assert local.start.isoformat() == "2026-10-08T08:00:00+07:00"


def test_a_cancelled_meeting_stays_in_the_calendar_as_cancelled() -> None:
    calendar = Calendar.from_ical(to_ics(entry("Table A", cancelled=True), datetime.now(UTC)))
    [event] = calendar.walk("VEVENT")
    assert str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == meeting_uid("m1")
    assert int(event["sequence"]) == 1  # the cancellation is the meeting's first revision
    assert event.decoded("dtstart") == SLOT.start
    assert str(event["summary"]) == "Kaiyo \u00d7 Water"
