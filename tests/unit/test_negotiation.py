"""Which representation a client asked for: ``Accept`` weighed as RFC 9110 says, and CSV
cells a spreadsheet would run as formulas written as text."""

import csv
import io

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from pydantic import BaseModel

from shared.http.negotiation import preferred
from shared.http.tabular import csv_of, wants_csv

OFFERS = ("application/json", "text/csv")


def asking(accept: str | None, query: str = "") -> web.Request:
    headers = {} if accept is None else {"Accept": accept}
    return make_mocked_request("GET", f"/reports{query}", headers=headers)


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/json"),
        ("text/csv", "text/csv"),
        ("text/*", "text/csv"),
        ("*/*", "application/json"),  # a tie goes to the default
        ("application/json, text/csv;q=0.1", "application/json"),
        ("text/csv;q=0, application/json", "application/json"),  # q=0: not this
        ("text/csv;q=0", "application/json"),
        ("text/csv;q=0.9, application/json;q=0.8", "text/csv"),
        ("*/*;q=0.1, text/csv", "text/csv"),
        ("text/*;q=0.2, text/csv;q=0", "application/json"),  # the exact range decides
        ("TEXT/CSV", "text/csv"),
        ("text/html", "application/json"),  # nothing offered: the default, not a 406
        ("text/csv;q=abc, application/json;q=0.1", "application/json"),
        ("garbage, , ;q=1", "application/json"),
    ],
)
def test_the_offer_weighed_highest_is_chosen(accept: str | None, chosen: str) -> None:
    assert preferred(asking(accept), OFFERS) == chosen


def test_the_query_format_wins_over_accept() -> None:
    assert not wants_csv(asking("text/csv"), "json")
    assert wants_csv(asking("application/json"), "csv")
    assert wants_csv(asking("text/csv;q=1, application/json;q=0.5"), None)


class Row(BaseModel):
    name: str | None
    count: int
    change: float


def test_formula_cells_are_written_as_text_and_numbers_stay_numbers() -> None:
    rows = [
        Row(name='=HYPERLINK("http://x")', count=-3, change=-0.5),
        Row(name="+81 3 1234", count=1, change=1.0),
        Row(name="@SUM(A1)", count=0, change=0.0),
        Row(name="\tTab", count=0, change=0.0),
        Row(name="-minus", count=0, change=0.0),
        Row(name="Plain - name", count=0, change=0.0),
        Row(name=None, count=0, change=0.0),
    ]
    table = list(csv.reader(io.StringIO(csv_of(rows, Row))))
    assert [line[0] for line in table[1:]] == [
        "'=HYPERLINK(\"http://x\")", "'+81 3 1234", "'@SUM(A1)", "'\tTab", "'-minus",
        "Plain - name", "",
    ]  # fmt: skip
    assert table[1][1:] == ["-3", "-0.5"]
