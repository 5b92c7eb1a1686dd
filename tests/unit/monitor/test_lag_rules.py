"""Lag, thresholds and alerts; and the health summary's reading of /metrics."""

from datetime import UTC, datetime, timedelta

from services.monitor.alerts.model import Threshold, breaches, verdict
from services.monitor.health.targets import counters_of
from services.monitor.streams.model import first_unconsumed, group_stats, log_ends, partition_lag

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_lag_counts_from_the_committed_offset_or_the_log_start() -> None:
    assert partition_lag("t", 0, 3, 0, 10, NOW).lag == 7
    assert partition_lag("t", 0, None, 4, 10, NOW).lag == 6
    caught_up = partition_lag("t", 0, 10, 0, 10, NOW)
    assert caught_up.lag == 0 and caught_up.oldest_unconsumed_at is None


def test_the_first_unconsumed_record_is_at_the_committed_offset_within_the_log() -> None:
    assert first_unconsumed(7, 4) == 7
    assert first_unconsumed(2, 4) == 4  # the log no longer reaches back to it
    assert first_unconsumed(None, 4) == 4


def test_a_group_is_as_old_as_its_oldest_unconsumed_record() -> None:
    lags = [partition_lag("t", 0, 1, 0, 3, NOW - timedelta(seconds=90)),
            partition_lag("t", 1, 1, 0, 2, NOW - timedelta(seconds=30))]  # fmt: skip
    stats = group_stats("g", "Stable", [], lags, NOW)
    assert stats.lag == 3 and stats.oldest_age_seconds == 90


def test_each_crossed_limit_is_named_and_alerts_change_only_on_crossing() -> None:
    stats = group_stats(
        "g", "Stable", [], [partition_lag("t", 0, 0, 0, 5, NOW - timedelta(minutes=2))], NOW
    )
    assert breaches(Threshold(max_lag=4, max_age_seconds=60), stats) == [
        "lag 5 > 4", "oldest unconsumed 120s > 60s"
    ]  # fmt: skip
    assert breaches(Threshold(max_lag=5), stats) == []
    assert (verdict(["x"], False), verdict(["x"], True)) == ("raise", "keep")
    assert (verdict([], True), verdict([], False)) == ("clear", "keep")


def test_the_health_summary_sums_requests_errors_and_consumed_events() -> None:
    text = "\n".join([
        'http_requests_total{method="GET",route="/a",status="200"} 5.0',
        'http_requests_total{method="GET",route="/a",status="503"} 2.0',
        'consumer_events_total{topic="t",outcome="handled"} 3.0',
        'consumer_events_total{topic="t",outcome="dead_lettered"} 1.0',
    ])  # fmt: skip
    counters = counters_of(
        "# TYPE http_requests_total counter\n# TYPE consumer_events_total counter\n" + text + "\n"
    )
    assert (counters.requests, counters.errors) == (7, 2)
    assert (counters.consumed, counters.dead_lettered) == (4, 1)


def test_a_log_end_is_the_highest_of_the_reported_end_and_what_was_consumed_up_to() -> None:
    reported = {"p0": 1, "p1": 7, "p2": 0}
    tail = {"p0": 4}
    group = {"p0": 2, "p1": 5, "p2": None, "elsewhere": 9}
    assert log_ends(reported, [tail, group]) == {"p0": 4, "p1": 7, "p2": 0}
