"""Events the inquiries service publishes on ``jamp.inquiries.v1``."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from shared.contracts.attachments import AttachmentInfo
from shared.contracts.base import EventPayload, published_as
from shared.contracts.identity import Actor

InquiryStatus = Literal[
    "submitted", "triaged", "assigned", "answered", "waiting_on_requester", "closed"
]
InquiryPriority = Literal["low", "normal", "high", "urgent"]
SlaClockKind = Literal["first_response", "resolution"]
MessageSide = Literal["desk", "requester"]
DeskSetting = Literal[
    "routing_rules", "calendar", "queues", "answer_template", "tags", "view", "webhooks"
]


class RequesterContact(BaseModel):
    """Where the requester is told of replies (the notifications service mails it)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    email: str


class InquiryRequester(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: Literal["company", "city", "organisation"]
    company_id: str | None = None
    city_id: str | None = None
    organisation: str | None = None
    contact: RequesterContact | None = None
    """The contact the desk was given (an organisation always has one); no phone number."""


class InquiryDetails(BaseModel):
    """An inquiry as submitted; of the requester's contact only the name and e-mail address
    are published, for the mail that tells the requester of replies."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    inquiry_id: str
    country: str
    city: str | None
    requester: InquiryRequester
    category: str
    subject: str
    language: str
    priority: InquiryPriority
    proposal_id: str | None
    company_id: str | None
    focus_areas: list[str]
    submitted_by: str
    submitted_at: datetime


@published_as("jamp.inquiry.submitted.v1", stream="inquiries")
class InquirySubmitted(EventPayload):
    """A desk contact point submitted an inquiry."""

    inquiry: InquiryDetails
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in
    ``inquiry.submitted_by``; added to v1 as an optional field: events published before
    have none."""


@published_as("jamp.inquiry.triaged.v1", stream="inquiries")
class InquiryTriaged(EventPayload):
    """The routing rules placed the inquiry in a queue; ``rule`` is null for the fallback."""

    inquiry_id: str
    queue: str
    rule: str | None


@published_as("jamp.inquiry.assigned.v1", stream="inquiries")
class InquiryAssigned(EventPayload):
    """Someone re-assigned the inquiry to a queue and, optionally, a named officer."""

    inquiry_id: str
    queue: str
    officer: str | None
    """The person id of the assigned officer; null when nobody (or nobody any more) is."""
    by: str
    officer_name: str | None = None
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``; added to v1 as an
    optional field: events published before have none."""


@published_as("jamp.inquiry.replied.v1", stream="inquiries")
class InquiryReplied(EventPayload):
    """A reply, visible to the requester side, from the desk or from the requester."""

    inquiry_id: str
    message_id: str
    side: MessageSide
    author: str
    body: str
    at: datetime
    attachments: tuple[AttachmentInfo, ...] = ()
    """Metadata of the files the reply refers to; download them from the inquiries API."""
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``author``; added to v1 as an
    optional field: events published before have none."""


def mailed_file_path(inquiry_id: str, attachment_id: str) -> str:
    """Where the inquiries service serves a reply's file through a signed link
    (``shared.signed_links``): the path the notifications service signs for its mail."""
    return f"/inquiries/{inquiry_id}/attachments/{attachment_id}/signed"


@published_as("jamp.inquiry.noted.v1", stream="inquiries")
class InquiryNoted(EventPayload):
    """An internal note was added; its text stays inside the service."""

    inquiry_id: str
    message_id: str
    author: str
    at: datetime
    attachments: tuple[AttachmentInfo, ...] = ()
    """Metadata of the note's files (as internal as the note)."""
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``author``; added to v1 as an
    optional field: events published before have none."""


@published_as("jamp.inquiry.status_changed.v1", stream="inquiries")
class InquiryStatusChanged(EventPayload):
    """A lifecycle move: answered, waiting on the requester, closed, reopened, resumed."""

    inquiry_id: str
    version: int
    from_status: InquiryStatus
    to_status: InquiryStatus
    by: str
    reason: str | None = None
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``; added to v1 as an
    optional field: events published before have none."""


@published_as("jamp.inquiry.linked.v1", stream="inquiries")
class InquiryLinked(EventPayload):
    """Two inquiries were marked as related (the link is symmetric)."""

    inquiry_id: str
    related_id: str
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``; added to v1 as an
    optional field: events published before have none."""


@published_as("jamp.inquiry.unlinked.v1", stream="inquiries")
class InquiryUnlinked(EventPayload):
    """Two related inquiries were unlinked (on both sides)."""

    inquiry_id: str
    related_id: str
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``; added to v1 as an
    optional field: events published before have none."""


@published_as("jamp.inquiry.tags_changed.v1", stream="inquiries")
class InquiryTagsChanged(EventPayload):
    """Staff tagged or untagged the inquiry (tags of its desk's managed list)."""

    inquiry_id: str
    version: int
    added: list[str]
    removed: list[str]
    tags: list[str]
    """The inquiry's tags after the change."""
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``; added to v1 as an
    optional field: events published before have none."""


@published_as("jamp.inquiry.rated.v1", stream="inquiries")
class InquiryRated(EventPayload):
    """The requester rated how a closed inquiry was answered (once per closure)."""

    inquiry_id: str
    rating: int
    comment: str | None = None
    closed_at: datetime
    """The closure rated: after a reopening and a new closure, a new rating may follow."""
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``; added to v1 as an
    optional field: events published before have none."""


@published_as("jamp.inquiry.merged.v1", stream="inquiries")
class InquiryMerged(EventPayload):
    """A duplicate was merged into another inquiry and closed with a pointer to it."""

    inquiry_id: str
    into: str
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``; added to v1 as an
    optional field: events published before have none."""


class _SlaEvent(EventPayload):
    inquiry_id: str
    clock: SlaClockKind
    at: datetime


@published_as("jamp.inquiry.sla_started.v1", stream="inquiries")
class InquirySlaStarted(_SlaEvent):
    """An SLA clock started, with its target in business minutes and its deadline."""

    target_minutes: int
    deadline: datetime
    reason: str | None = None
    """Why a clock started again (a reopened inquiry); null for a new inquiry."""


@published_as("jamp.inquiry.sla_paused.v1", stream="inquiries")
class InquirySlaPaused(_SlaEvent):
    """The clock stopped counting while the desk waits on the requester."""

    used_minutes: float


@published_as("jamp.inquiry.sla_resumed.v1", stream="inquiries")
class InquirySlaResumed(_SlaEvent):
    """The requester answered; the clock counts again towards a new deadline."""

    deadline: datetime


@published_as("jamp.inquiry.sla_recalculated.v1", stream="inquiries")
class InquirySlaRecalculated(_SlaEvent):
    """The desk's calendar changed while the clock ran: the time counted so far stays, the
    rest counts in the new calendar from ``at``, towards this new deadline."""

    deadline: datetime
    reason: str


@published_as("jamp.inquiry.sla_warning.v1", stream="inquiries")
class InquirySlaWarning(_SlaEvent):
    """Most of the target is used up (the warning ratio); the deadline is near."""

    deadline: datetime


@published_as("jamp.inquiry.sla_breached.v1", stream="inquiries")
class InquirySlaBreached(_SlaEvent):
    """The deadline passed before the clock's goal was reached."""

    deadline: datetime


@published_as("jamp.inquiry.sla_met.v1", stream="inquiries")
class InquirySlaMet(_SlaEvent):
    """The clock's goal (first reply, or closure) was reached within the target."""

    used_minutes: float


@published_as("jamp.inquiry.updated.v1", stream="inquiries")
class InquiryUpdated(EventPayload):
    """Staff corrected the inquiry; ``changes`` maps each field to its before and after."""

    inquiry_id: str
    version: int
    changes: dict[str, dict[str, Any]]
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``; added to v1 as an
    optional field: events published before have none."""


@published_as("jamp.inquiry.assignee_notified.v1", stream="inquiries")
class InquiryAssigneeNotified(EventPayload):
    """An SLA clock warned: the assigned officer is told (the queue's escalation setting)."""

    inquiry_id: str
    officer: str
    officer_name: str
    clock: SlaClockKind
    deadline: datetime | None


@published_as("jamp.inquiry.escalated.v1", stream="inquiries")
class InquiryEscalated(EventPayload):
    """An SLA clock breached: the inquiry moved to its queue's escalation queue or supervisor."""

    inquiry_id: str
    clock: SlaClockKind
    from_queue: str
    to_queue: str
    officer: str | None


@published_as("jamp.inquiry_desk.configuration_changed.v1", stream="inquiries")
class DeskConfigurationChanged(EventPayload):
    """Someone changed the routing rules, a desk calendar, the queues, an answer template,
    a desk's tag list or a saved view, or a webhook subscription (created, paused, resumed,
    secret rotated, deleted; a delivery sent again, a test ping): before and after, never a
    secret."""

    setting: DeskSetting
    key: str
    """``routing``, ``queues``, the calendar's or tag list's country, a template or view id,
    or the webhook subscription's id."""
    before: dict[str, Any] | None
    """Null: created."""
    after: dict[str, Any] | None
    """Null: deleted."""
    by: str
    by_person: Actor


class QueueStaffing(BaseModel):
    """Who works one queue and where its SLA breaches go, as the notifications service and
    any other reader of the stream need it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    members: list[str] = []
    """Person ids (``jamp.person.registered.v1``) told of the queue's new inquiries."""
    supervisor: str | None = None
    """The person a breach is assigned to, if any."""
    escalate_to: str | None = None
    """The queue a breach moves the inquiry to, if any."""
    notify_on_warning: bool = True
    """Whether an SLA warning is told to the assigned officer."""


@published_as("jamp.inquiry_desk.queues_changed.v1", stream="inquiries")
class QueuesChanged(EventPayload):
    """The managed queue list as it now is, after an admin changed it (keyed ``queues``, so
    every change of the list is in one partition and in order; ``version`` counts them)."""

    queues: list[QueueStaffing]
    version: int
    by: str
    by_person: Actor
