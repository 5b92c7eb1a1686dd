"""A desk's managed tag list, and tagging an inquiry with tags of it. Pure: no I/O.

A tag may name a queue: tagging an inquiry with it moves the inquiry there (re-triage by
tag). Routing rules place an inquiry when it is submitted, by category and country; a tag
comes later, from staff reading it, so routing by tag happens when the tag is added.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.inquiries.administration.queues import QueueName, named_once
from services.inquiries.model import Inquiry, InvalidChange, Moved
from services.inquiries.tags.names import TagChange, TagName
from shared.contracts import EventPayload
from shared.contracts.identity import Actor
from shared.contracts.inquiries import InquiryTagsChanged, InquiryTriaged


class Tag(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: TagName
    description: str = Field(default="", max_length=300)
    queue: QueueName | None = Field(
        default=None, description="Tagging an inquiry with this tag moves it to this queue"
    )


class DeskTags(BaseModel):
    """One desk's tag list; send back the ``version`` you read to replace it."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "tags": [
                        {"name": "flood-control"},
                        {"name": "jbic-loan", "queue": "jbic-join-liaison"},
                    ],
                    "version": 0,
                }
            ]
        },
    )

    tags: list[Tag] = Field(max_length=200)
    version: int = Field(default=0, ge=0)

    @field_validator("tags")
    @classmethod
    def _distinct(cls, tags: list[Tag]) -> list[Tag]:
        return named_once(tags, "tag (once normalised)")

    @property
    def names(self) -> list[str]:
        return [tag.name for tag in self.tags]


NO_TAGS = DeskTags(tags=[])


def retagged(
    current: Inquiry, change: TagChange, listed: DeskTags, field: str, by: Actor, now: datetime
) -> Moved:
    """Add and remove tags; an added tag must be on the desk's list (422 naming it, under
    ``field``). The first added tag of the list that names a queue moves the inquiry there."""
    for index, name in enumerate(change.add):
        if name not in listed.names:
            raise InvalidChange(
                f"tag {name!r} is not on the {current.country} desk's tag list; see GET "
                f"/tags/{current.country}",
                field=f"{field}.add.{index}",
            )
    added = [name for name in change.add if name not in current.tags]
    removed = [name for name in change.remove if name in current.tags]
    if not added and not removed:
        return current, []
    tags = [name for name in current.tags if name not in removed] + added
    inquiry = current.touched(now).model_copy(update={"tags": tags})
    event = InquiryTagsChanged(
        inquiry_id=current.inquiry_id,
        version=inquiry.version,
        added=added,
        removed=removed,
        tags=tags,
        by=by.grant,
        by_person=by,
    )
    events: list[EventPayload] = [event]
    routing = next((t for t in listed.tags if t.name in added and t.queue), None)
    if routing is not None and routing.queue != current.queue and current.status != "closed":
        assert routing.queue is not None
        inquiry = inquiry.model_copy(update={"queue": routing.queue})
        rule = f"tag:{routing.name}"
        events.append(InquiryTriaged(inquiry_id=current.inquiry_id, queue=routing.queue, rule=rule))
    return inquiry, events
