"""Escalation, per queue: a warning tells the assigned officer, a breach moves the inquiry
to the queue's escalation queue and/or its supervisor. Pure: no I/O."""

from services.inquiries.administration.queues import Queue
from services.inquiries.model import Inquiry, Moved
from shared.contracts import EventPayload
from shared.contracts.inquiries import (
    InquiryAssigneeNotified,
    InquiryEscalated,
    InquirySlaBreached,
    InquirySlaWarning,
)


def escalated(
    inquiry: Inquiry, events: list[EventPayload], queue: Queue | None, supervisor_name: str | None
) -> Moved:
    """``events`` are what the clocks just published; the answer adds what they cause."""
    if queue is None:
        return inquiry, events
    caused: list[EventPayload] = []
    for event in events:
        if isinstance(event, InquirySlaWarning) and queue.notify_on_warning and inquiry.officer:
            caused.append(
                InquiryAssigneeNotified(
                    inquiry_id=inquiry.inquiry_id,
                    officer=inquiry.officer,
                    officer_name=inquiry.officer_name or inquiry.officer,
                    clock=event.clock,
                    deadline=event.deadline,
                )
            )
        if isinstance(event, InquirySlaBreached) and (queue.escalate_to or queue.supervisor):
            inquiry, escalation = _escalate(inquiry, event, queue, supervisor_name)
            caused.append(escalation)
    return inquiry, [*events, *caused]


def _escalate(
    inquiry: Inquiry, breach: InquirySlaBreached, queue: Queue, supervisor_name: str | None
) -> tuple[Inquiry, InquiryEscalated]:
    changes: dict[str, object] = {"queue": queue.escalate_to or inquiry.queue}
    if queue.supervisor is not None:
        changes |= {"officer": queue.supervisor, "officer_name": supervisor_name}
        if inquiry.status in ("submitted", "triaged"):
            changes["status"] = "assigned"
    escalated_inquiry = inquiry.model_copy(update=changes)
    event = InquiryEscalated(
        inquiry_id=inquiry.inquiry_id,
        clock=breach.clock,
        from_queue=inquiry.queue,
        to_queue=escalated_inquiry.queue,
        officer=escalated_inquiry.officer,
    )
    return escalated_inquiry, event
