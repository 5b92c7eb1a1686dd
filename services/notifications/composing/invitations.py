"""RFC 5545 meeting invitations: ``METHOD:REQUEST`` for a new or moved meeting (same UID,
higher SEQUENCE), ``METHOD:CANCEL`` for a cancelled one. Times are UTC; each side's own
time zone is shown in the description. Pure."""

from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from services.notifications.model import Invite

PRODID = "-//JAMP Desk//notifications//EN"


def to_ics(invite: Invite, organizer: str, now: datetime) -> str:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", invite.method)
    event = Event()
    event.add("uid", invite.uid)
    event.add("sequence", invite.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", invite.start)
    event.add("dtend", invite.end)
    event.add("summary", invite.summary)
    event.add("location", invite.location)
    event.add("description", invite.description)
    if invite.url:
        event.add("url", invite.url)
    event.add("status", "CANCELLED" if invite.method == "CANCEL" else "CONFIRMED")
    event.add("organizer", _address(organizer, "JAMP Desk", organizer_role=True))
    for attendee in invite.attendees:
        event.add("attendee", _address(attendee.address, attendee.name), encode=False)
    calendar.add_component(event)
    ics: bytes = calendar.to_ical()
    return ics.decode()


def _address(address: str, name: str, organizer_role: bool = False) -> vCalAddress:
    value = vCalAddress(f"mailto:{address}")
    if name:
        value.params["cn"] = vText(name)
    if not organizer_role:
        value.params["role"] = vText("REQ-PARTICIPANT")
        value.params["partstat"] = vText("NEEDS-ACTION")
        value.params["rsvp"] = vText("TRUE")
    return value
