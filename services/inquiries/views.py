"""What callers get back, besides the Inquiry itself: messages, history, suggestions."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contracts.attachments import AttachmentInfo
from shared.contracts.identity import Actor
from shared.contracts.inquiries import DeskSetting, MessageSide
from shared.outbound import Outcome, Sent


class Message(BaseModel):
    message_id: str
    inquiry_id: str
    kind: Literal["reply", "note"]
    side: MessageSide
    author: str = Field(description="The grant that wrote it")
    by: Actor | None = Field(default=None, description="The person behind the key")
    body: str
    at: datetime
    attachments: list[AttachmentInfo] = []
    merged_from: str | None = Field(
        default=None, description="The merged duplicate this message was first posted to"
    )
    template_id: str | None = Field(
        default=None, description="The answer template the reply was written from"
    )

    def for_requester(self) -> "Message":
        """The requester side sees the desk, not the person behind the reply."""
        return self.model_copy(update={"by": None})


class Messages(BaseModel):
    items: list[Message]


class HistoryEntry(BaseModel):
    at: datetime
    actor: str = Field(description="The grant that made the change")
    by: Actor | None = Field(
        default=None, description="The person (or the key's label), beside the grant"
    )
    type: str = Field(description="The event type that recorded the change")
    data: dict[str, Any]


class History(BaseModel):
    items: list[HistoryEntry]


class ConfigurationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    setting: DeskSetting | None = None
    limit: int = Field(default=50, ge=1, le=500)


class ConfigurationChange(BaseModel):
    at: datetime
    setting: str
    key: str = Field(
        description="routing, queues, the calendar's or tag list's country, a template or view id"
    )
    by: str = Field(description="The grant that made the change")
    by_person: Actor
    before: dict[str, Any] | None = Field(description="Null: created")
    after: dict[str, Any] | None = Field(description="Null: deleted")


class ConfigurationChanges(BaseModel):
    items: list[ConfigurationChange]


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
    inquiry_id: str
    status: Literal["pending", "delivered", "failed"]
    attempts: list[Attempt]
    next_attempt_at: datetime | None
    created_at: datetime


class Deliveries(BaseModel):
    items: list[Delivery]


class Subscriptions(BaseModel):
    items: list[Subscription]


class BulkResult(BaseModel):
    inquiry_id: str
    ok: bool
    version: int | None = Field(default=None, description="The inquiry's version after it")
    problem: int | None = Field(
        default=None, description="The HTTP status this change alone would have answered"
    )
    detail: str | None = Field(default=None, description="Why it was refused")


class BulkResults(BaseModel):
    succeeded: int
    failed: int
    items: list[BulkResult]
