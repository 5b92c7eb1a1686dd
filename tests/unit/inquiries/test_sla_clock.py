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
