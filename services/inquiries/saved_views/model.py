"""Saved and built-in views of the inquiry list. Pure: no I/O.

A view is only filters: running one goes through the same list use case, with the
caller's own visibility, so a view never shows anyone more than their key may see.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from services.inquiries.administration.config import KeptDocument
from services.inquiries.commands import InquiryFilters
from services.inquiries.model import OPEN
from services.inquiries.vocabulary import ASEANCountry
from shared.contracts.identity import Actor
from shared.errors import DomainError

BuiltIn = Literal[
    "mine", "unassigned-in-my-queues", "due-today", "breached", "waiting-on-requester"
]
BUILT_IN: tuple[str, ...] = get_args(BuiltIn)


class ViewNotFound(DomainError):
    pass


class ViewSpec(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "Urgent financing",
                    "filters": {"category": ["financing"], "priority": ["urgent", "high"]},
                    "shared": True,
                    "country": "VN",
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=80)
    filters: InquiryFilters = Field(default_factory=InquiryFilters)
    shared: bool = Field(
        default=False, description="Shared with the desk's staff (else the person's own)"
    )
    country: ASEANCountry | None = Field(
        default=None, description="The desk of a shared view (a desk key: its own)"
    )


class SavedView(ViewSpec, KeptDocument):
    view_id: str
    owner: str | None = Field(description="The person whose own view it is; null if shared")
    built_in: bool = False
    updated_at: datetime | None = None
    updated_by: str | None = Field(default=None, description="The grant that last changed it")
    updated_by_person: Actor | None = Field(
        default=None, description="The person behind that key (none for views kept before)"
    )


class SavedViews(BaseModel):
    items: list[SavedView]


@dataclass(frozen=True)
class Situation:
    """What the built-in views depend on: whose they are, and when."""

    my_queues: list[str]
    today_ends: datetime


_OPEN = sorted(OPEN)


def built_in(view_id: BuiltIn, situation: Situation) -> SavedView:
    filters = {
        "mine": InquiryFilters(assignee="me", status=_OPEN, sort="deadline"),
        "unassigned-in-my-queues": InquiryFilters(
            queue=situation.my_queues, unassigned=True, status=_OPEN, sort="deadline"
        ),
        "due-today": InquiryFilters(due_before=situation.today_ends, status=_OPEN, sort="deadline"),
        "breached": InquiryFilters(sla=["breached"], status=_OPEN, sort="deadline"),
        "waiting-on-requester": InquiryFilters(status=["waiting_on_requester"], sort="updated"),
    }[view_id]
    name = view_id.replace("-", " ").capitalize()
    return SavedView(view_id=view_id, name=name, filters=filters, owner=None, built_in=True)


def end_of_day(now: datetime, zone: ZoneInfo) -> datetime:
    """The next midnight in ``zone``, as an aware moment."""
    local = now.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
