"""SLA clocks: targets in business time, paused while waiting on the requester. Pure.

Every move returns the new clock and the events it causes. A clock publishes each of
warning, breached and met at most once because the flags that say so travel with it and
are stored with the inquiry; the ticker and the requests change them only by
compare-and-set on the inquiry's version.
"""

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, computed_field

from services.inquiries.sla.business_hours import BusinessCalendar
from shared.contracts import EventPayload
from shared.contracts.inquiries import (
    InquirySlaBreached,
    InquirySlaMet,
    InquirySlaPaused,
    InquirySlaRecalculated,
    InquirySlaResumed,
    InquirySlaStarted,
    InquirySlaWarning,
    SlaClockKind,
)

ClockState = Literal["running", "paused", "met", "breached", "cancelled"]
SlaState = Literal["running", "paused", "warning", "breached", "met", "cancelled"]
"""An inquiry's SLA in one word, over both of its clocks (``Inquiry.sla_state``)."""
Moved = tuple["SlaClock", list[EventPayload]]


class SlaClock(BaseModel):
    model_config = ConfigDict(frozen=True)

    inquiry_id: str
    kind: SlaClockKind
    target_minutes: int
    warning_ratio: float
    used_seconds: float = 0.0
    """Business time counted before ``running_since`` (earlier running spells)."""
    running_since: datetime | None = None
    deadline: datetime | None = None
    warn_at: datetime | None = None
    warned: bool = False
    breached: bool = False
    outcome: Literal["met", "breached", "cancelled"] | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def state(self) -> ClockState:
        if self.outcome is not None:
            return self.outcome
        return "paused" if self.running_since is None else "running"

    @property
    def next_due(self) -> datetime | None:
        """When the ticker must look at this clock next; None when nothing can fall due."""
        if self.state != "running":
            return None
        return self.warn_at if not self.warned else None if self.breached else self.deadline

    @classmethod
    def start(
        cls,
        inquiry_id: str,
        kind: SlaClockKind,
        target: int,
        ratio: float,
        calendar: BusinessCalendar,
        now: datetime,
        reason: str | None = None,
    ) -> Moved:
        clock = cls(inquiry_id=inquiry_id, kind=kind, target_minutes=target, warning_ratio=ratio)
        clock = clock._run_from(now, calendar)
        assert clock.deadline is not None
        started = InquirySlaStarted(
            inquiry_id=inquiry_id,
            clock=kind,
            at=now,
            target_minutes=target,
            deadline=clock.deadline,
            reason=reason,
        )
        return clock, [started]

    def used(self, calendar: BusinessCalendar, now: datetime) -> float:
        """Business seconds counted so far."""
        if self.running_since is None:
            return self.used_seconds
        return self.used_seconds + calendar.between(self.running_since, now).total_seconds()

    def tick(self, now: datetime) -> Moved:
        """Publish the warning and the breach once their moments have come."""
        if self.state != "running":
            return self, []
        clock, events = self, list[EventPayload]()
        if not clock.warned and clock.warn_at is not None and clock.warn_at <= now:
            clock = clock.model_copy(update={"warned": True})
            events.append(self._event(InquirySlaWarning, now, deadline=self.deadline))
        if not clock.breached and clock.deadline is not None and clock.deadline <= now:
            clock = clock.model_copy(update={"breached": True})
            events.append(self._event(InquirySlaBreached, now, deadline=self.deadline))
        return clock, events

    def pause(self, calendar: BusinessCalendar, now: datetime) -> Moved:
        clock, events = self.tick(now)
        if clock.state != "running":
            return clock, events
        used = clock.used(calendar, now)
        paused = clock.model_copy(
            update={"used_seconds": used, "running_since": None, "deadline": None, "warn_at": None}
        )
        return paused, [*events, self._event(InquirySlaPaused, now, used_minutes=used / 60)]

    def resume(self, calendar: BusinessCalendar, now: datetime) -> Moved:
        if self.state != "paused":
            return self, []
        clock = self._run_from(now, calendar)
        return clock, [self._event(InquirySlaResumed, now, deadline=clock.deadline)]

    def restart(self, calendar: BusinessCalendar, now: datetime, reason: str) -> Moved:
        """A fresh clock with the same target: reopened work is due again."""
        kind, target, ratio = self.kind, self.target_minutes, self.warning_ratio
        return SlaClock.start(self.inquiry_id, kind, target, ratio, calendar, now, reason)

    def recalculated(
        self, before: BusinessCalendar, after: BusinessCalendar, now: datetime, reason: str
    ) -> Moved:
        """The calendar changed: time so far counts in the old one, the rest in the new one."""
        return self._rebased(before, after, now, self.target_minutes, reason)

    def retargeted(self, target: int, calendar: BusinessCalendar, now: datetime) -> Moved:
        """The priority changed: the time used so far stays, the new target applies."""
        if target == self.target_minutes or self.outcome is not None:
            return self, []
        if self.state == "paused":
            return self.model_copy(update={"target_minutes": target}), []
        return self._rebased(calendar, calendar, now, target, "priority changed")

    def _rebased(
        self,
        before: BusinessCalendar,
        after: BusinessCalendar,
        now: datetime,
        target: int,
        reason: str,
    ) -> Moved:
        clock, events = self.tick(now)
        if clock.state != "running":
            return clock, events
        used = clock.used(before, now)
        counted = clock.model_copy(update={"used_seconds": used, "target_minutes": target})
        rebased = counted._run_from(now, after)  # the warned and breached flags travel along
        recalculated = self._event(
            InquirySlaRecalculated, now, deadline=rebased.deadline, reason=reason
        )
        return rebased, [*events, recalculated]

    def stop(self, calendar: BusinessCalendar, now: datetime, achieved: bool) -> Moved:
        """The goal was reached (``achieved``), or the clock no longer applies."""
        clock, events = self.tick(now)
        if clock.outcome is not None:
            return clock, events
        used = clock.used(calendar, now)
        outcome = "cancelled" if not achieved else "breached" if clock.breached else "met"
        stopped = clock.model_copy(
            update={"used_seconds": used, "running_since": None, "outcome": outcome}
        )
        if outcome == "met":
            events.append(self._event(InquirySlaMet, now, used_minutes=used / 60))
        return stopped, events

    def _run_from(self, now: datetime, calendar: BusinessCalendar) -> "SlaClock":
        target = self.target_minutes * 60
        left = timedelta(seconds=max(0.0, target - self.used_seconds))
        warn_left = timedelta(seconds=max(0.0, target * self.warning_ratio - self.used_seconds))
        return self.model_copy(
            update={
                "running_since": now,
                "deadline": calendar.add(now, left),
                "warn_at": calendar.add(now, warn_left),
            }
        )

    def _event(self, model: type[EventPayload], now: datetime, **fields: object) -> EventPayload:
        return model.model_validate(
            {"inquiry_id": self.inquiry_id, "clock": self.kind, "at": now, **fields}
        )
