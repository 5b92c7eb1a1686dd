"""Events the proposals service publishes on ``jamp.proposals.v1``: ASCN cities and proposals."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from shared.contracts.attachments import AttachmentInfo
from shared.contracts.base import EventPayload, published_as
from shared.contracts.identity import Actor

ProposalStatus = Literal[
    "draft",
    "submitted",
    "under_review",
    "accepted",
    "rejected",
    "matched",
    "closed",
    "withdrawn",
]


class City(BaseModel):
    """An ASCN pilot city (reference data, grown by admins)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    city_id: str
    name: str
    country: str
    joined: int
    time_zone: str


class BudgetRange(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    min: float
    max: float
    currency: str


class Timeline(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    start: date
    end: date


class ProposalContact(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    email: str
    phone: str | None = None
    organisation: str | None = None
    language: str | None = None
    """ISO 639-1 (``vocabulary.LANGUAGES``) the contact wants mail in; None: not given."""


class ProposalDetails(BaseModel):
    """A proposal as published: everything a consumer needs to act on it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    proposal_id: str
    city_id: str
    country: str
    title: str
    focus_areas: list[str]
    tags: list[str]
    stage: str
    financing: list[str]
    budget: BudgetRange
    timeline: Timeline
    description: str
    private_operator: bool = False
    contact: ProposalContact
    status: ProposalStatus
    version: int
    created_at: datetime
    submitted_at: datetime | None = None
    """When the city first submitted it; None for a draft (and for one withdrawn as a draft).
    Consumers decide visibility beyond the city by this, never by ``status``."""
    attachments: tuple[AttachmentInfo, ...] = ()
    """Metadata of the files the proposal refers to; download them from the proposals API."""


@published_as("jamp.city.added.v1", stream="proposals")
class CityAdded(EventPayload):
    """A city joined the reference data (loaded at start, or added by an admin)."""

    city: City
    by: str | None = None
    """Who added it (an admin's grant, or ``proposals`` for the reference data loaded at
    start); optional v1 fields, null in events published before."""
    by_person: Actor | None = None


@published_as("jamp.proposal.drafted.v1", stream="proposals")
class ProposalDrafted(EventPayload):
    """A city (or an admin on its behalf) started a proposal; it is a draft, visible to it only."""

    proposal: ProposalDetails
    by: str | None = None
    """The grant that made the change (added to v1 as optional: older events have none)."""
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``."""


@published_as("jamp.proposal.updated.v1", stream="proposals")
class ProposalUpdated(EventPayload):
    """A draft changed; ``changes`` holds each changed field's new value."""

    proposal_id: str
    version: int
    changes: dict[str, Any]
    by: str | None = None
    """The grant that made the change (added to v1 as optional: older events have none)."""
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``."""


@published_as("jamp.proposal.submitted.v1", stream="proposals")
class ProposalSubmitted(EventPayload):
    """The city submitted its draft for review; carries the proposal as submitted."""

    proposal: ProposalDetails
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``."""


@published_as("jamp.proposal.status_changed.v1", stream="proposals")
class ProposalStatusChanged(EventPayload):
    """A review-workflow transition after submission (review, decision, match, close,
    withdraw)."""

    proposal_id: str
    version: int
    from_status: ProposalStatus
    to_status: ProposalStatus
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``."""
    reason: str | None = None
