"""The report's arithmetic and its CSV form, over a hand-built desk."""

import gc
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.inquiries.administration.report import (
    Reported,
    ReportQuery,
    ReportRow,
    build_report,
    report_columns,
)
from services.inquiries.commands import Requester
from services.inquiries.model import Inquiry, Satisfaction
from services.inquiries.sla.business_hours import BusinessCalendar
from services.inquiries.sla.clocks import SlaClock
from shared.http.tabular import csv_of

CAL = BusinessCalendar.default_for("VN")  # 09:00-17:00 in Hanoi: 02:00-10:00 UTC
MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 2 March 2026, 09:00 in Hanoi
NOW = datetime(2026, 5, 1, tzinfo=UTC)


def _inquiry(
    submitted: datetime,
    replied: datetime | None = None,
    closed: datetime | None = None,
    rating: int | None = None,
    **fields: Any,
) -> Inquiry:
    """Targets: a first reply within 60 business minutes, a closure within 480."""
    first, _ = SlaClock.start("i", "first_response", 60, 0.75, CAL, submitted)
    resolution, _ = SlaClock.start("i", "resolution", 480, 0.75, CAL, submitted)
    if replied is not None:
        first, _ = first.stop(CAL, replied, achieved=True)
    if closed is not None:
        resolution, _ = resolution.stop(CAL, closed, achieved=True)
    satisfaction = None
    if rating is not None and closed is not None:
        satisfaction = Satisfaction(rating=rating, closed_at=closed, at=closed)
    base: dict[str, Any] = {
        "inquiry_id": "i",
        "country": "VN",
        "city": None,
        "requester": Requester(kind="city", city_id="hue"),
        "category": "events",
        "subject": "s",
        "body": "b",
        "language": "en",
        "priority": "normal",
        "proposal_id": None,
        "company_id": None,
        "focus_areas": [],
        "status": "closed" if closed else "answered" if replied else "triaged",
        "queue": "desk-vn",
        "clocks": {"first_response": first, "resolution": resolution},
        "submitted_by": "desk:VN",
        "submitted_at": submitted,
        "updated_at": submitted,
        "first_response_at": replied,
        "closed_at": closed,
        "satisfaction": satisfaction,
    }
    return Inquiry.model_validate({**base, **fields})


def _desk() -> list[Reported]:
    """A: financing, Sato, answered in 30 and closed in 120 business minutes, rated 5.
    B: financing, Sato, answered Monday 16:00 (420), closed Tuesday 10:00 (480 + 60),
    reopened once before, rated 3. C: events, unassigned, unanswered. D: events, April."""
    sato = {"officer": "p-sato", "officer_name": "Consul Sato", "status": "closed"}
    a = _inquiry(MONDAY, MONDAY + timedelta(minutes=30), MONDAY + timedelta(hours=2), 5,
                 category="financing", priority="high", **sato)  # fmt: skip
    b = _inquiry(MONDAY, MONDAY + timedelta(hours=7), MONDAY + timedelta(hours=25), 3,
                 category="financing", **sato)  # fmt: skip
    c = _inquiry(MONDAY + timedelta(hours=1))
    april = datetime(2026, 4, 6, 2, 0, tzinfo=UTC)
    d = _inquiry(april, april + timedelta(minutes=45))
    return [
        Reported.of(a, ["flood", "water"], False, CAL),
        Reported.of(b, ["flood"], True, CAL),
        Reported.of(c, [], False, CAL),
        Reported.of(d, [], False, CAL),
    ]


def _rows(**query: Any) -> dict[tuple[str | None, ...], ReportRow]:
    wanted = ReportQuery.model_validate(query)
    report = build_report(_desk(), wanted, query.pop("interval", "period"), NOW)
    return {
        (row.month, *(getattr(row, dimension) for dimension in wanted.group_by)): row
        for row in report.rows
    }


def test_counts_times_attainment_reopens_and_satisfaction_per_country_and_category() -> None:
    rows = _rows()
    assert list(rows) == [(None, "VN", "events"), (None, "VN", "financing")]
    financing = rows[(None, "VN", "financing")]
    assert (financing.total, financing.open, financing.closed) == (2, 0, 2)
    assert financing.median_first_response_minutes == 225.0  # of 30 and 420
    assert financing.p90_first_response_minutes == 420.0
    assert financing.median_resolution_minutes == 330.0  # of 120 and 540
    assert financing.p90_resolution_minutes == 540.0
    assert (financing.sla_met, financing.sla_breached, financing.sla_attainment) == (2, 2, 0.5)
    assert (financing.reopened, financing.reopen_rate) == (1, 0.5)
    assert (financing.satisfaction_ratings, financing.satisfaction_average) == (2, 4.0)
    events = rows[(None, "VN", "events")]
    assert (events.total, events.open, events.median_first_response_minutes) == (2, 2, 45.0)
    assert (events.median_resolution_minutes, events.sla_attainment) == (None, 1.0)
    assert (events.reopen_rate, events.satisfaction_average) == (None, None)


def test_groups_by_officer_priority_and_tag_with_the_unnamed_last() -> None:
    by_officer = _rows(group_by=["officer"])
    assert list(by_officer) == [(None, "p-sato"), (None, None)]
    assert by_officer[(None, "p-sato")].officer_name == "Consul Sato"
    assert by_officer[(None, None)].total == 2
    assert {key: row.total for key, row in _rows(group_by=["priority"]).items()} == {
        (None, "high"): 1,
        (None, "normal"): 3,
    }
    by_tag = _rows(group_by=["tag"])
    assert {key: row.total for key, row in by_tag.items()} == {
        (None, "flood"): 2,  # A and B: an inquiry counts under each of its tags
        (None, "water"): 1,
        (None, None): 2,
    }


def test_month_by_month_rows_follow_the_month_of_submission() -> None:
    rows = _rows(group_by=["country"], interval="month")
    assert {key: row.total for key, row in rows.items()} == {
        ("2026-03", "VN"): 3,
        ("2026-04", "VN"): 1,
    }


def test_the_90th_percentile_is_the_nearest_rank() -> None:
    answered = [
        Reported.of(_inquiry(MONDAY, MONDAY + timedelta(minutes=10 * n)), [], False, CAL)
        for n in range(1, 11)
    ]
    [row] = build_report(answered, ReportQuery(group_by=["country"]), "period", NOW).rows
    assert (row.median_first_response_minutes, row.p90_first_response_minutes) == (55.0, 90.0)


def test_a_merged_duplicate_has_no_resolution_time() -> None:
    merged = _inquiry(MONDAY, closed=MONDAY + timedelta(minutes=5), merged_into="other")
    assert Reported.of(merged, [], False, CAL).resolution_minutes is None


def test_the_csv_has_a_column_per_grouping_then_the_figures() -> None:
    query = ReportQuery(group_by=["officer", "tag"])
    report = build_report(_desk(), query, "month", NOW)
    text = csv_of(report.rows, ReportRow, report_columns(report))
    header, *lines = text.split("\r\n")
    assert header.startswith("month,officer,tag,officer_name,total,open,closed,")
    assert "reopen_rate" in header and "country" not in header
    assert [line.split(",")[:5] for line in lines if line] == [
        ["2026-03", "p-sato", "flood", "Consul Sato", "2"],
        ["2026-03", "p-sato", "water", "Consul Sato", "1"],
        ["2026-03", "", "", "", "1"],
        ["2026-04", "", "", "", "1"],
    ]


def test_a_period_that_ends_before_it_begins_is_refused_by_its_end() -> None:
    wanted = ReportQuery.model_validate({"from": "2026-03-01", "to": "2026-03-31"})
    assert (wanted.from_, wanted.to) == (date(2026, 3, 1), date(2026, 3, 31))
    try:
        ReportQuery.model_validate({"from": "2026-03-02", "to": "2026-03-01"})
    except ValueError as error:
        assert "to" in str(error)
    else:
        raise AssertionError("a reversed period was accepted")


def test_a_counted_inquiry_keeps_what_the_report_counts_not_the_inquiry() -> None:
    """A report of a long period holds every inquiry of it until it is built: ~8 KB each
    as whole inquiries, a few hundred bytes each as what is counted."""
    body = "A request for a feasibility study of flood warning. " * 40  # a real body's size
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        counted = [
            Reported.of(
                _inquiry(MONDAY, MONDAY + timedelta(minutes=30), body=body, inquiry_id=f"i{n}"),
                ["flood"],
                False,
                CAL,
            )
            for n in range(300)
        ]
        gc.collect()
        held = (tracemalloc.get_traced_memory()[0] - before) / len(counted)
    finally:
        tracemalloc.stop()
    assert held < 1_000, f"{held:.0f} bytes held per counted inquiry"
    assert counted[0].first_response_minutes == 30 and counted[0].inquiry_id == "i0"
