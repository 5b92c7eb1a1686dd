"""What callers get back, besides the Inquiry itself: messages, history, suggestions."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.attachments import AttachmentInfo
from shared.contracts.identity import Actor
from shared.contracts.inquiries import DeskSetting, MessageSide


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
