"""What callers get back, besides the Inquiry itself: messages, history, suggestions."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.contracts.inquiries import MessageSide


class Message(BaseModel):
    message_id: str
    inquiry_id: str
    kind: Literal["reply", "note"]
    side: MessageSide
    author: str
    body: str
    at: datetime


class Messages(BaseModel):
    items: list[Message]


class HistoryEntry(BaseModel):
    at: datetime
    actor: str
    type: str = Field(description="The event type that recorded the change")
    data: dict[str, Any]


class History(BaseModel):
    items: list[HistoryEntry]


class Suggestion(BaseModel):
    """A match from the matching service, attached to a partner-search inquiry."""

    inquiry_id: str
    match_id: str
    proposal_id: str
    company_id: str
    company_name: str
    score: float
    rank: int
    reasons: list[str]
    version: int
    withdrawn: bool = False


class Suggestions(BaseModel):
    items: list[Suggestion]


class Subscription(BaseModel):
    subscription_id: str
    owner: str
    url: str
    country: str | None
    company_id: str | None
    city_id: str | None
    created_at: datetime


class NewSubscription(Subscription):
    secret: str = Field(description="Signs every delivery (HMAC-SHA256); shown only this once")


class Attempt(BaseModel):
    at: datetime
    status: int | None = Field(description="The receiver's HTTP status; null if unreachable")
    error: str | None
    ms: float


class Delivery(BaseModel):
    delivery_id: str
    subscription_id: str
    event_type: str
    inquiry_id: str
    status: Literal["pending", "delivered", "failed"]
    attempts: list[Attempt]
    next_attempt_at: datetime | None
    created_at: datetime


class Deliveries(BaseModel):
    items: list[Delivery]


class Subscriptions(BaseModel):
    items: list[Subscription]
