"""SLA clocks: start, warn, breach, pause, resume, meet, each event once."""

from datetime import UTC, datetime, timedelta

from services.inquiries.sla.business_hours import BusinessCalendar
from services.inquiries.sla.clocks import SlaClock
from shared.contracts import EventPayload

CAL = BusinessCalendar.default_for("VN")
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hanoi


def _started(target: int = 60) -> SlaClock:
    clock, [started] = SlaClock.start("i-1", "first_response", target, 0.75, CAL, T0)
    assert started.event_type == "jamp.inquiry.sla_started.v1"
    return clock


def _types(events: list[EventPayload]) -> list[str]:
    return [event.event_type.split(".")[2] for event in events]


class TestTicking:
    def test_the_warning_then_the_breach_come_once_each(self) -> None:
        clock = _started()
        assert clock.deadline == T0 + timedelta(minutes=60)
        assert clock.next_due == T0 + timedelta(minutes=45)
        clock, events = clock.tick(T0 + timedelta(minutes=46))
        assert _types(events) == ["sla_warning"]
        assert clock.tick(T0 + timedelta(minutes=50))[1] == []
        clock, events = clock.tick(T0 + timedelta(minutes=61))
        assert _types(events) == ["sla_breached"]
        assert clock.next_due is None
        assert clock.tick(T0 + timedelta(days=9))[1] == []

    def test_a_late_first_look_publishes_both_in_order(self) -> None:
        _, events = _started().tick(T0 + timedelta(hours=5))
        assert _types(events) == ["sla_warning", "sla_breached"]


class TestPausing:
    def test_paused_time_does_not_count(self) -> None:
        clock, events = _started().pause(CAL, T0 + timedelta(minutes=20))
        assert _types(events) == ["sla_paused"] and clock.state == "paused"
        assert clock.tick(T0 + timedelta(days=3))[1] == []
        resumed_at = T0 + timedelta(days=1)
        clock, events = clock.resume(CAL, resumed_at)
        assert _types(events) == ["sla_resumed"]
        assert clock.deadline == resumed_at + timedelta(minutes=40)

    def test_pausing_after_the_deadline_first_publishes_the_breach(self) -> None:
        _, events = _started().pause(CAL, T0 + timedelta(hours=2))
        assert _types(events) == ["sla_warning", "sla_breached", "sla_paused"]


class TestStopping:
    def test_met_in_time_once(self) -> None:
        clock, events = _started().stop(CAL, T0 + timedelta(minutes=10), achieved=True)
        assert _types(events) == ["sla_met"] and clock.state == "met"
        assert clock.used_seconds == 600
        assert clock.stop(CAL, T0 + timedelta(minutes=20), achieved=True)[1] == []

    def test_late_is_breached_not_met(self) -> None:
        clock, events = _started().stop(CAL, T0 + timedelta(hours=2), achieved=True)
        assert _types(events) == ["sla_warning", "sla_breached"] and clock.state == "breached"

    def test_a_goal_that_no_longer_applies_is_cancelled_silently(self) -> None:
        clock, events = _started().stop(CAL, T0 + timedelta(minutes=5), achieved=False)
        assert events == [] and clock.state == "cancelled"


class TestRecalculating:
    WEEKDAYS = CAL
    EVERY_DAY = CAL.model_copy(update={"working_days": [1, 2, 3, 4, 5, 6, 7]})

    def test_a_calendar_change_keeps_the_time_counted_and_counts_the_rest_anew(self) -> None:
        saturday_noon = datetime(2026, 3, 7, 5, 0, tzinfo=UTC)
        clock, _ = SlaClock.start("i-1", "resolution", 240, 0.75, self.EVERY_DAY, saturday_noon)
        changed_at = saturday_noon + timedelta(hours=1)
        clock, events = clock.recalculated(self.EVERY_DAY, self.WEEKDAYS, changed_at, "edit")
        assert _types(events) == ["sla_recalculated"]
        assert clock.used_seconds == 3600 and clock.running_since == changed_at
        monday_noon = datetime(2026, 3, 9, 5, 0, tzinfo=UTC)
        assert clock.deadline == monday_noon  # 3 h from Monday 09:00
        assert clock.used(self.WEEKDAYS, monday_noon) == 4 * 3600

    def test_a_new_target_keeps_the_time_used(self) -> None:
        clock, events = _started(60).retargeted(240, CAL, T0 + timedelta(minutes=30))
        assert _types(events) == ["sla_recalculated"]
        assert clock.deadline == T0 + timedelta(minutes=240)
        assert clock.used_seconds == 1800

    def test_restarting_starts_a_fresh_clock_with_the_same_target(self) -> None:
        stopped, _ = _started().stop(CAL, T0 + timedelta(minutes=10), achieved=True)
        clock, events = stopped.restart(CAL, T0 + timedelta(days=1), "reopened")
        assert _types(events) == ["sla_started"] and clock.state == "running"
        assert clock.used_seconds == 0 and not clock.warned and clock.outcome is None
