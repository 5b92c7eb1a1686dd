"""The Inquiry aggregate: its lifecycle, SLA clocks and errors. Pure: no I/O.

Lifecycle: submitted → triaged → assigned → answered → closed, with
``waiting_on_requester`` (the SLA clocks pause) and reopening within a window. Every move
returns the new inquiry, version bumped, and the events it causes.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from services.inquiries.commands import Requester
from services.inquiries.sla.business_hours import BusinessCalendar
from services.inquiries.sla.clocks import SlaClock, SlaState
from shared.contracts import EventPayload
from shared.contracts.identity import Actor
from shared.contracts.inquiries import (
    InquiryDetails,
    InquiryPriority,
    InquiryRated,
    InquiryStatus,
    InquiryStatusChanged,
    SlaClockKind,
)
from shared.errors import DomainError

Moved = tuple["Inquiry", list[EventPayload]]
ClockMove = Callable[[SlaClock], tuple[SlaClock, list[EventPayload]]]
Action = Literal["reply", "requester_reply", "wait", "close", "reopen", "assign", "merge", "update"]
OPEN: frozenset[InquiryStatus] = frozenset(
    {"submitted", "triaged", "assigned", "answered", "waiting_on_requester"}
)
ALLOWED: dict[Action, frozenset[InquiryStatus]] = {
    "reply": OPEN,
    "requester_reply": OPEN,
    "wait": frozenset({"triaged", "assigned", "answered"}),
    "close": OPEN,
    "reopen": frozenset({"closed"}),
    "assign": OPEN,
    "merge": OPEN,
    "update": OPEN,
}


class InquiryNotFound(DomainError):
    pass


class IllegalTransition(DomainError):
    pass


class StaleVersion(DomainError):
    pass


class InvalidChange(DomainError):
    """Well-formed input the desk's rules refuse; ``field`` names it (a 422)."""


class Satisfaction(BaseModel):
    """The requester's rating of one closure of the inquiry."""

    model_config = ConfigDict(frozen=True)

    rating: int = Field(ge=1, le=5)
    comment: str | None = None
    closed_at: datetime = Field(description="The closure rated")
    at: datetime


class InquiryRecord(BaseModel):
    """Everything the desk knows of an inquiry."""

    model_config = ConfigDict(frozen=True)

    inquiry_id: str
    country: str
    city: str | None
    requester: Requester
    category: str
    subject: str
    body: str
    language: str
    priority: InquiryPriority
    proposal_id: str | None
    company_id: str | None
    focus_areas: list[str]
    status: InquiryStatus
    queue: str
    officer: str | None = None
    """The assigned person's id; ``officer_name`` is their name when assigned."""
    officer_name: str | None = None
    clocks: dict[SlaClockKind, SlaClock]
    links: list[str] = []
    tags: list[str] = Field(default=[], description="Tags of the desk's list (desk side only)")
    merged_into: str | None = None
    merged_from: list[str] = []
    submitted_by: str
    submitted_by_person: Actor | None = Field(
        default=None, description="The person behind the key (none for inquiries stored before)"
    )
    submitted_at: datetime
    updated_at: datetime
    first_response_at: datetime | None = None
    closed_at: datetime | None = None
    auto_close_at: datetime | None = Field(
        default=None, description="While waiting on the requester: when it closes itself"
    )
    satisfaction: Satisfaction | None = Field(
        default=None, description="The requester's rating of this closure; reopening drops it"
    )
    version: int = 1

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sla_state(self) -> SlaState:
        """One word for filters, exact about clocks that stopped counting.

        breached (any clock, ever) > paused (a live clock waits on the requester, even one
        that warned) > warning > running > met (every clock met) > cancelled (a clock
        stopped without its goal: merged, or closed without a reply).
        """
        clocks = list(self.clocks.values())
        live = [clock for clock in clocks if clock.outcome is None]
        if any(clock.breached for clock in clocks):
            return "breached"
        if any(clock.state == "paused" for clock in live):
            return "paused"
        if live:
            return "warning" if any(clock.warned for clock in live) else "running"
        return "met" if all(clock.outcome == "met" for clock in clocks) else "cancelled"

    @property
    def deadline(self) -> datetime | None:
        """The soonest deadline of a clock still counting; None when none is ahead."""
        live = [clock.deadline for clock in self.clocks.values() if clock.outcome is None]
        return min((deadline for deadline in live if deadline is not None), default=None)

    @property
    def next_due(self) -> datetime | None:
        """When the ticker must look next: an SLA moment, or the auto-close."""
        due = [clock.next_due for clock in self.clocks.values() if clock.next_due is not None]
        if self.auto_close_at is not None:
            due.append(self.auto_close_at)
        return min(due, default=None)


class InquiryView(InquiryRecord):
    """An inquiry as its caller may see it: for the requester side (a company or a city)
    the internal routing (queue, officer, links to other inquiries, tags) is null or empty."""

    queue: str | None  # type: ignore[assignment]

    @classmethod
    def of(cls, inquiry: "Inquiry", requester: bool) -> "InquiryView":
        data = inquiry.model_dump()
        if requester:
            data |= {"queue": None, "officer": None, "officer_name": None, "links": [], "tags": []}
            data["submitted_by_person"] = None  # the desk, not the person behind the key
        return cls.model_validate(data)


class Inquiry(InquiryRecord):
    def details(self) -> InquiryDetails:
        return InquiryDetails.model_validate(self.model_dump())

    def require(self, action: Action) -> None:
        if self.status not in ALLOWED[action]:
            raise IllegalTransition(
                f"cannot {action.replace('_', ' ')} an inquiry that is {self.status}",
                current_status=self.status,
            )

    @property
    def open_status(self) -> InquiryStatus:
        """Where an inquiry goes when the ball is back with the desk."""
        return "assigned" if self.officer else "triaged"

    def moved(
        self,
        status: InquiryStatus,
        by: Actor,
        now: datetime,
        cal: BusinessCalendar,
        reason: str | None = None,
        **changes: object,
    ) -> Moved:
        """Change status (and fields); the clocks pause exactly while waiting on the requester,
        and the auto-close stands only while waiting."""
        if status != "waiting_on_requester":
            changes = {"auto_close_at": None, **changes}
        inquiry = self._next(now, status=status, **changes)
        events: list[EventPayload] = []
        if status != self.status:
            events.append(
                InquiryStatusChanged(
                    inquiry_id=self.inquiry_id,
                    version=inquiry.version,
                    from_status=self.status,
                    to_status=status,
                    by=by.grant,
                    by_person=by,
                    reason=reason,
                )
            )
        if status == "waiting_on_requester" != self.status:
            inquiry, paused = inquiry.with_clocks(lambda c: c.pause(cal, now))
            events += paused
        elif self.status == "waiting_on_requester" != status:
            inquiry, resumed = inquiry.with_clocks(lambda c: c.resume(cal, now))
            events += resumed
        return inquiry, events

    def stop_clock(
        self, kind: SlaClockKind, cal: BusinessCalendar, now: datetime, achieved: bool
    ) -> Moved:
        clock, events = self.clocks[kind].stop(cal, now, achieved)
        return self.model_copy(update={"clocks": {**self.clocks, kind: clock}}), events

    def with_clocks(self, move: ClockMove) -> Moved:
        clocks, events = {}, list[EventPayload]()
        for kind, clock in self.clocks.items():
            clocks[kind], caused = move(clock)
            events += caused
        return self.model_copy(update={"clocks": clocks}), events

    def auto_closes(self, now: datetime) -> bool:
        return self.status == "waiting_on_requester" and (
            self.auto_close_at is not None and self.auto_close_at <= now
        )

    def tick(self, now: datetime) -> Moved:
        inquiry, events = self.with_clocks(lambda clock: clock.tick(now))
        return (inquiry._next(now), events) if events else (self, [])

    def waitable(self) -> None:
        """Waiting on the requester pauses the clocks: only once the desk has replied, or a
        pause could hide a first response that never came."""
        self.require("wait")
        if self.first_response_at is None:
            raise IllegalTransition(
                "reply to the requester before waiting on them", current_status=self.status
            )

    def reopened(
        self, by: Actor, now: datetime, cal: BusinessCalendar, reason: str | None
    ) -> Moved:
        """Open again with the resolution clock restarted (and the first-response one, if
        nobody replied yet); the closure no longer stands, nor its rating."""
        inquiry, events = self.moved(
            self.open_status, by, now, cal, reason, closed_at=None, satisfaction=None
        )
        restart: list[SlaClockKind] = ["resolution"]
        if self.first_response_at is None:
            restart.insert(0, "first_response")
        clocks = dict(inquiry.clocks)
        for kind in restart:
            clocks[kind], started = clocks[kind].restart(cal, now, "reopened")
            events += started
        return inquiry.model_copy(update={"clocks": clocks}), events

    def recalculated(
        self, before: BusinessCalendar, after: BusinessCalendar, now: datetime
    ) -> Moved:
        """The desk's calendar changed: running deadlines follow the new one from now."""
        inquiry, events = self.with_clocks(
            lambda clock: clock.recalculated(before, after, now, "calendar changed")
        )
        return (inquiry._next(now), events) if events else (self, [])

    def reopenable(self, now: datetime, window: timedelta) -> None:
        self.require("reopen")
        if self.merged_into is not None:
            raise IllegalTransition(
                f"merged into {self.merged_into}; reopen that one", current_status=self.status
            )
        if self.closed_at is not None and now - self.closed_at > window:
            raise IllegalTransition(
                f"closed more than {window.days} days ago; submit a new inquiry",
                current_status=self.status,
            )

    def rated(self, rating: int, comment: str | None, by: Actor, now: datetime) -> Moved:
        """Once per closure: reopening drops the rating, so the next closure is rated anew."""
        if self.status != "closed" or self.closed_at is None:
            raise IllegalTransition(
                f"only a closed inquiry is rated; this one is {self.status}",
                current_status=self.status,
            )
        if self.merged_into is not None:
            raise IllegalTransition(
                f"merged into {self.merged_into}; rate that one", current_status=self.status
            )
        if self.satisfaction is not None:
            raise IllegalTransition("this closure is rated already", current_status=self.status)
        closure = self.closed_at
        given = Satisfaction(rating=rating, comment=comment, closed_at=closure, at=now)
        event = InquiryRated(
            inquiry_id=self.inquiry_id, rating=rating, comment=comment, closed_at=closure,
            by=by.grant, by_person=by,
        )  # fmt: skip
        return self._next(now, satisfaction=given), [event]

    def touched(self, now: datetime) -> "Inquiry":
        """The same inquiry with a new version: something was added to it."""
        return self._next(now)

    def _next(self, now: datetime, **changes: object) -> "Inquiry":
        return self.model_copy(update={**changes, "version": self.version + 1, "updated_at": now})
