"""Webhook subscriptions and deliveries as callers send and see them, and which events a
subscription may hear. Pure."""

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AnyHttpUrl, BaseModel, Field, model_validator

from services.inquiries.commands import strict_with_example
from services.inquiries.vocabulary import ASEANCountry
from shared.contracts import EventPayload
from shared.contracts.vocabulary import UNIQUE
from shared.envelope import Envelope
from shared.errors import DomainError
from shared.outbound import Outcome, Sent

EventName = Literal[
    "submitted", "replied", "status_changed", "merged", "sla_warning", "sla_breached"
]
DEFAULT_EVENTS: tuple[EventName, ...] = ("replied", "status_changed", "merged")
"""What a subscription hears when it names nothing (and what those stored before heard)."""
DESK_ONLY_EVENTS: frozenset[EventName] = frozenset({"sla_warning", "sla_breached"})
"""The desk's own timekeeping: never told to the requester side."""
DeliveryStatus = Literal["pending", "paused", "delivered", "failed"]


def event_name(event_type: str) -> str:
    """``jamp.inquiry.sla_warning.v1`` → ``sla_warning``."""
    return event_type.removeprefix("jamp.inquiry.").removesuffix(".v1")


def for_requester(envelope: Envelope) -> Envelope:
    """The event as a company's or city's subscription hears it: the desk acted, not a named
    person behind its key (as the conversation shows replies to the requester side)."""
    data = {name: value for name, value in envelope.data.items() if name != "by_person"}
    return envelope.model_copy(update={"data": data})


class WebhookRefused(DomainError):
    """The webhook's URL breaks the outbound policy."""


class WebhookNotFound(DomainError):
    """No such subscription or delivery, or not the caller's."""


class WebhookConflict(DomainError):
    """The delivery is not in a state the action applies to."""


class Subscribe(BaseModel):
    model_config = strict_with_example(
        {
            "url": "https://desk.example.org/jamp-hooks",
            "country": "VN",
            "events": ["submitted", "replied", "status_changed", "sla_breached"],
        }
    )

    url: AnyHttpUrl
    country: ASEANCountry | None = Field(
        default=None,
        description="Only this country's inquiries; a desk key may name only its own (403)",
    )
    events: Annotated[list[EventName], UNIQUE] = Field(
        default_factory=lambda: list(DEFAULT_EVENTS),
        min_length=1,
        description="What to be told of; SLA events only for desk and staff keys",
    )


class Subscription(BaseModel):
    subscription_id: str
    owner: str
    url: str
    country: str | None
    company_id: str | None
    city_id: str | None
    created_at: datetime
    events: list[EventName] = Field(default_factory=lambda: list(DEFAULT_EVENTS))
    paused: bool = Field(default=False, description="Paused: deliveries are held, not sent")
    secret_rotated_at: datetime | None = None
    previous_secret_valid_until: datetime | None = Field(
        default=None, description="Until then deliveries are signed with the old secret too"
    )


class NewSubscription(Subscription):
    secret: str = Field(description="Signs every delivery (HMAC-SHA256); shown only this once")


class Attempt(BaseModel):
    """What the subscriber may learn of one attempt: the outcome, never a low-level error."""

    at: datetime
    outcome: Outcome
    status: int | None = Field(description="The receiver's HTTP status; null if none answered")
    detail: str = Field(
        description="delivered, refused by policy, failed with HTTP status N, could not connect"
    )
    ms: float

    @classmethod
    def of(cls, sent: Sent, at: datetime, ms: float) -> "Attempt":
        return cls(at=at, outcome=sent.outcome, status=sent.status, detail=sent.describe(), ms=ms)

    @model_validator(mode="before")
    @classmethod
    def _from_stored_error(cls, data: Any) -> Any:
        """Attempts stored before outcomes existed kept the raw error text: derive the
        outcome from the status instead, and drop the text."""
        if not isinstance(data, dict) or "outcome" in data:
            return data
        status = data.get("status")
        if status is None:
            sent = Sent("could_not_connect")
        else:
            sent = Sent("delivered" if 200 <= status < 300 else "http_error", status)
        return {**data, "outcome": sent.outcome, "detail": sent.describe()}


class Delivery(BaseModel):
    delivery_id: str
    subscription_id: str
    event_type: str
    inquiry_id: str | None = Field(description="Null for a test ping")
    status: DeliveryStatus
    attempts: list[Attempt]
    next_attempt_at: datetime | None
    created_at: datetime


class Deliveries(BaseModel):
    items: list[Delivery]


class Subscriptions(BaseModel):
    items: list[Subscription]


class Ping(EventPayload):
    """A test delivery asked for by the subscriber; never published on a topic (so it is
    not registered among the stream's event types)."""

    event_type: ClassVar[str] = "jamp.webhook.ping.v1"
    stream: ClassVar[str] = "inquiries"

    subscription_id: str
    by: str
