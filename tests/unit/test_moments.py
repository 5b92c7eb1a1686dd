"""Times and days at the ends of what the desk can store are refused where they are parsed
(a 422 naming the field), not as a 500 deep in a query."""

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import BaseModel, ValidationError

from services.inquiries.administration.report import ReportQuery as InquiryReport
from services.inquiries.commands import InquiryFilters
from services.matching.reporting.funnel import ReportQuery as MatchingReport
from services.matching.sessions.model import Slot
from shared.http.moments import storable


@pytest.mark.parametrize(
    "value",
    [
        date(9999, 12, 31),  # "to, inclusive" has no day after
        date(1, 1, 1),
        datetime.fromisoformat("9999-12-31T23:59:59-12:00"),  # no UTC value
        datetime.fromisoformat("0001-01-01T00:00:00+14:00"),
    ],
)
def test_the_ends_of_the_calendar_are_refused(value: date) -> None:
    with pytest.raises(ValueError, match="between the years 1 and 9999"):
        storable(value)


def test_ordinary_and_far_moments_pass_unchanged() -> None:
    tokyo = datetime(2027, 4, 1, 9, tzinfo=UTC) + timedelta(hours=9)
    for value in (date(9999, 12, 29), tokyo, datetime(2, 1, 3, tzinfo=UTC)):
        assert storable(value) == value


@pytest.mark.parametrize(
    ("model", "query", "field"),
    [
        (InquiryReport, {"to": "9999-12-31"}, "to"),
        (InquiryFilters, {"due_before": "9999-12-31T23:59:59-12:00"}, "due_before"),
        (InquiryFilters, {"due_before": "0001-01-01T00:00:00+14:00"}, "due_before"),
        (MatchingReport, {"to": "9999-12-31T23:00:00-12:00"}, "to"),
        (Slot, {"start": "9999-12-31T20:00:00-12:00", "end": "9999-12-31T21:00:00-12:00"}, "start"),
    ],
)
def test_every_query_and_body_that_takes_a_moment_names_the_field(
    model: type[BaseModel], query: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(query)
    assert raised.value.errors()[0]["loc"][0] == field
