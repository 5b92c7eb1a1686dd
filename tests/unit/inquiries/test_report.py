"""The report's arithmetic and its CSV form."""

from datetime import UTC, datetime, timedelta

from services.inquiries.administration.report import ReportRow, build_report
from services.inquiries.commands import Requester
from services.inquiries.model import Inquiry
from services.inquiries.sla.business_hours import BusinessCalendar
from services.inquiries.sla.clocks import SlaClock
from shared.http.tabular import csv_of

CAL = BusinessCalendar.default_for("VN")
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _inquiry(answered_after: int | None, category: str = "events") -> Inquiry:
    first, _ = SlaClock.start("i", "first_response", 60, 0.75, CAL, T0)
    resolution, _ = SlaClock.start("i", "resolution", 480, 0.75, CAL, T0)
    if answered_after is not None:
        first, _ = first.stop(CAL, T0 + timedelta(minutes=answered_after), achieved=True)
    return Inquiry(
        inquiry_id="i",
        country="VN",
        city=None,
        requester=Requester(kind="city", city_id="hue"),
        category=category,
        subject="s",
        body="b",
        language="en",
        priority="normal",
        proposal_id=None,
        company_id=None,
        focus_areas=[],
        status="triaged",
        queue="desk-vn",
        clocks={"first_response": first, "resolution": resolution},
        submitted_by="desk:VN",
        submitted_at=T0,
        updated_at=T0,
    )


def test_medians_and_attainment_over_the_decided_clocks() -> None:
    report = build_report([_inquiry(10), _inquiry(30), _inquiry(120), _inquiry(None)], T0)
    [row] = report.rows
    assert (row.total, row.open, row.closed) == (4, 4, 0)
    assert row.median_first_response_minutes == 30.0
    assert (row.sla_met, row.sla_breached) == (2, 1)
    assert row.sla_attainment == round(2 / 3, 4)
    assert row.median_resolution_minutes is None


def test_csv_has_a_header_and_one_line_per_country_and_category() -> None:
    text = csv_of(build_report([_inquiry(10), _inquiry(None, "financing")], T0).rows, ReportRow)
    lines = text.splitlines()
    assert lines[0].startswith("country,category,total,open,closed")
    assert [line.split(",")[:3] for line in lines[1:]] == [
        ["VN", "events", "1"],
        ["VN", "financing", "1"],
    ]
