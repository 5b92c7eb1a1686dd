"""Escalation per queue: pure consequences of the clocks' warning and breach."""

from datetime import UTC, datetime

from services.inquiries.administration.queues import Queue
from services.inquiries.model import Inquiry
from services.inquiries.sla.business_hours import BusinessCalendar
from services.inquiries.sla.clocks import SlaClock
from services.inquiries.sla.escalation import escalated
from shared.contracts.inquiries import InquirySlaBreached, InquirySlaWarning

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
CAL = BusinessCalendar.default_for("VN")


def _inquiry(**changes: object) -> Inquiry:
    clock, _ = SlaClock.start("i-1", "first_response", 60, 0.75, CAL, T0)
    base: dict[str, object] = {
        "inquiry_id": "i-1", "country": "VN", "city": None,
        "requester": {"kind": "city", "city_id": "hue"}, "category": "events",
        "subject": "s", "body": "b", "language": "en", "priority": "urgent",
        "proposal_id": None, "company_id": None, "focus_areas": [], "status": "assigned",
        "queue": "desk-vn", "officer": "p-1", "officer_name": "Sato",
        "clocks": {"first_response": clock, "resolution": clock},
        "submitted_by": "desk:VN", "submitted_at": T0, "updated_at": T0,
    }  # fmt: skip
    return Inquiry.model_validate({**base, **changes})


WARNING = InquirySlaWarning(inquiry_id="i-1", clock="first_response", at=T0, deadline=T0)
BREACH = InquirySlaBreached(inquiry_id="i-1", clock="first_response", at=T0, deadline=T0)


def test_a_warning_tells_the_assigned_officer() -> None:
    _, events = escalated(_inquiry(), [WARNING], Queue(name="desk-vn"), None)
    assert [e.event_type for e in events][-1] == "jamp.inquiry.assignee_notified.v1"
    quiet = Queue(name="desk-vn", notify_on_warning=False)
    assert escalated(_inquiry(), [WARNING], quiet, None)[1] == [WARNING]
    assert escalated(_inquiry(officer=None), [WARNING], Queue(name="desk-vn"), None)[1] == [WARNING]


def test_a_breach_moves_the_inquiry_to_the_escalation_queue_and_supervisor() -> None:
    queue = Queue(name="desk-vn", escalate_to="desk-leads", supervisor="p-9")
    inquiry, events = escalated(_inquiry(status="triaged", officer=None), [BREACH], queue, "Ito")
    assert (inquiry.queue, inquiry.officer, inquiry.officer_name) == ("desk-leads", "p-9", "Ito")
    assert inquiry.status == "assigned"
    assert events[-1].event_type == "jamp.inquiry.escalated.v1"


def test_without_escalation_settings_a_breach_changes_nothing() -> None:
    inquiry = _inquiry()
    assert escalated(inquiry, [BREACH], Queue(name="desk-vn"), None) == (inquiry, [BREACH])
