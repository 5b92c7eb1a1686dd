"""The organisers' funnel: proposed → answered → mutual → met → MOU / F/S proposal per
country, city or focus area, with median hours between steps, in JSON and CSV, for staff.

The scenario is written straight into the service's collections through its repositories
(meetings in the past cannot be scheduled through the API, whose sessions start in the
future), then read over HTTP."""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.matching.keys import MATCHES, SESSIONS
from services.matching.model import Match, MatchStatus, Response
from services.matching.sessions.model import Meeting, NextStep, Outcome, Slot
from shared.contracts.matching import MatchSide
from tests.support import Caller, granted

T0 = datetime(2026, 1, 5, tzinfo=UTC)
FUTURE = datetime(2030, 1, 1, tzinfo=UTC)
PERIOD = {"from": "2026-01-04", "to": (T0 + timedelta(days=30)).isoformat()}
WATER = ["quality_environment", "safety_security"]


@dataclass(frozen=True)
class Place:
    city: str
    country: str
    focus: list[str]


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


Answer = tuple[bool, datetime]


def answered(
    company: Answer | None = None, city: Answer | None = None
) -> dict[MatchSide, Response]:
    answers: dict[MatchSide, Answer | None] = {"company": company, "city": city}
    return {
        side: Response(accepted=yes, by=f"{side}:x", at=at, reason=None if yes else "no")
        for side, answer in answers.items()
        if answer is not None
        for yes, at in [answer]
    }


async def add_match(
    matching: TestClient[Any, Any],
    match_id: str,
    place: Place,
    at: datetime,
    status: MatchStatus = "proposed",
    responses: dict[MatchSide, Response] | None = None,
) -> None:
    match = Match(
        match_id=match_id, proposal_id=f"p-{match_id}", company_id=f"c-{match_id}",
        company_name="Kaiyo", city_id=place.city, country=place.country,
        focus_areas=place.focus, tags=[],
        score=0.5, rank=1, factors=[], version=1, status=status, responses=responses or {},
        created_at=at, updated_at=at,
    )  # fmt: skip
    await matching.app[MATCHES].save(match, None, 0)


async def add_meeting(
    matching: TestClient[Any, Any],
    match_id: str,
    start: datetime,
    steps: dict[MatchSide, tuple[NextStep, datetime]] | None = None,
    cancelled: bool = False,
) -> None:
    outcomes = {side: Outcome(rating=4, next_step=step, by=side, at=at)
                for side, (step, at) in (steps or {}).items()}  # fmt: skip
    meeting = Meeting(
        meeting_id=f"meeting-{match_id}-{start:%Y}", session_id="s", match_id=match_id,
        proposal_id=f"p-{match_id}", company_id=f"c-{match_id}", city_id="x",
        slot=Slot(start=start, end=start + hours(0.5)), table="Table A", score=0.5,
        outcomes=outcomes, status="cancelled" if cancelled else "scheduled",
    )  # fmt: skip
    await matching.app[SESSIONS].save_meeting(meeting, None)


@pytest.fixture
async def scenario(matching: TestClient[Any, Any]) -> None:
    """Five matches proposed in the period (two outside it), through every step."""
    vn = Place("da-nang", "VN", WATER)
    # Answered after 2 h and 6 h: mutual 4 h after the first answer, met a day later; a
    # day after the meeting the city names an F/S proposal, two days after the company an MOU.
    both = answered(company=(True, T0 + hours(2)), city=(True, T0 + hours(6)))
    await add_match(matching, "m1", vn, at=T0, status="scheduled", responses=both)
    start = T0 + hours(30)
    steps: dict[MatchSide, tuple[NextStep, datetime]] = {
        "company": ("mou", start + hours(48)),
        "city": ("fs_proposal", start + hours(24)),
    }
    await add_meeting(matching, "m1", start, steps)
    # Declined after 4 h; never answered.
    no = answered(city=(False, T0 + hours(4)))
    await add_match(matching, "m2", vn, at=T0, status="declined", responses=no)
    await add_match(matching, "m3", vn, at=T0)
    # Hanoi: mutual after 10 + 10 h; its meeting was cancelled and the next is years away.
    later = T0 + timedelta(days=1)
    both = answered(company=(True, later + hours(10)), city=(True, later + hours(20)))
    hanoi = Place("hanoi", "VN", ["built_infrastructure"])
    await add_match(matching, "m4", hanoi, at=later, status="scheduled", responses=both)
    await add_meeting(matching, "m4", later + hours(40), cancelled=True)
    await add_meeting(matching, "m4", FUTURE)
    # Bangkok: mutual after 1 + 2 h, met 24 h later, no next step.
    both = answered(company=(True, T0 + hours(1)), city=(True, T0 + hours(3)))
    bangkok = Place("bangkok", "TH", ["health_wellbeing"])
    await add_match(matching, "m5", bangkok, at=T0, status="scheduled", responses=both)
    await add_meeting(matching, "m5", T0 + hours(27), {"city": ("none", T0 + hours(28))})
    # Outside the period on either side.
    await add_match(matching, "m6", vn, at=T0 - timedelta(days=10))
    await add_match(matching, "m7", bangkok, at=T0 + timedelta(days=40))


def figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[key] for key in (
        "proposed", "answered", "mutual", "met", "mou", "fs_proposal", "median_hours_to_answer",
        "median_hours_to_mutual", "median_hours_to_meeting", "median_hours_to_next_step",
    ))  # fmt: skip


class TestTheFunnel:
    async def test_per_country_the_counts_and_median_hours_of_the_period(
        self, matching: TestClient[Any, Any], admin: Caller, scenario: None
    ) -> None:
        response = await admin.get("/reports/matching", **PERIOD)
        assert response.status == 200, await response.text()
        report = await response.json()

        assert report["group_by"] == "country"
        rows = {row["group"]: figures(row) for row in report["rows"]}
        assert rows == {
            "TH": (1, 1, 1, 1, 0, 0, 1.0, 2.0, 24.0, None),
            "VN": (4, 3, 2, 1, 1, 1, 4.0, 7.0, 24.0, 24.0),
        }
        assert figures(report["total"]) == (5, 4, 3, 2, 1, 1, 3.0, 4.0, 24.0, 24.0)

    async def test_per_city_and_per_focus_area_a_match_counts_in_each_of_its_areas(
        self, matching: TestClient[Any, Any], admin: Caller, scenario: None
    ) -> None:
        by_city = await (await admin.get("/reports/matching", group_by="city", **PERIOD)).json()
        assert {row["group"]: row["proposed"] for row in by_city["rows"]} == {
            "bangkok": 1, "da-nang": 3, "hanoi": 1,
        }  # fmt: skip
        by_area = await (
            await admin.get("/reports/matching", group_by="focus_area", **PERIOD)
        ).json()
        areas = {row["group"]: figures(row)[:6] for row in by_area["rows"]}
        assert areas == {
            "built_infrastructure": (1, 1, 1, 0, 0, 0),
            "health_wellbeing": (1, 1, 1, 1, 0, 0),
            "quality_environment": (3, 2, 1, 1, 1, 1),
            "safety_security": (3, 2, 1, 1, 1, 1),
        }
        assert by_area["total"]["proposed"] == 5  # each match once in the total

    async def test_without_a_period_every_match_counts(
        self, matching: TestClient[Any, Any], admin: Caller, scenario: None
    ) -> None:
        report = await (await admin.get("/reports/matching")).json()
        assert report["total"]["proposed"] == 7
        assert report["proposed_since"] is None and report["proposed_before"] is None


class TestCsv:
    @pytest.mark.parametrize("how", ["accept", "format"])
    async def test_the_same_figures_as_csv_with_a_header_and_the_total_first(
        self, matching: TestClient[Any, Any], admin: Caller, scenario: None, how: str
    ) -> None:
        if how == "accept":
            response = await admin.client.get(
                "/reports/matching", params=PERIOD,
                headers={**admin._headers(None), "Accept": "text/csv"},
            )  # fmt: skip
        else:
            response = await admin.get("/reports/matching", format="csv", **PERIOD)
        assert response.status == 200 and response.content_type == "text/csv"

        table = list(csv.reader(io.StringIO(await response.text())))
        assert table[0][:7] == ["group", "proposed", "answered", "mutual", "met", "mou",
                                "fs_proposal"]  # fmt: skip
        assert len(table[0]) == 11
        assert [line[:2] for line in table[1:]] == [["all", "5"], ["TH", "1"], ["VN", "4"]]
        assert table[2][-1] == ""  # no median where no match reached the step

    @pytest.mark.parametrize(
        ("accept", "format"),
        [("application/json, text/csv;q=0.1", None), ("text/csv;q=0, */*", None),
         ("text/csv", "json")],
    )  # fmt: skip
    async def test_json_when_the_client_prefers_it_or_the_query_says_so(
        self, admin: Caller, scenario: None, accept: str, format: str | None
    ) -> None:
        params = {**PERIOD, **({} if format is None else {"format": format})}
        response = await admin.client.get(
            "/reports/matching", params=params, headers={**admin._headers(None), "Accept": accept}
        )
        assert response.status == 200 and response.content_type == "application/json"


class TestWhoAndWhat:
    @pytest.mark.parametrize("grant", ["desk:VN", "company:c-m1", "city:da-nang"])
    async def test_only_staff_read_it(self, matching: TestClient[Any, Any], grant: str) -> None:
        caller = await granted(matching, grant)
        assert (await caller.get("/reports/matching")).status == 403

    async def test_the_operator_reads_it(
        self, matching: TestClient[Any, Any], scenario: None
    ) -> None:
        operator = await granted(matching, "operator")
        assert (await operator.get("/reports/matching")).status == 200

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"group_by": "company"}, "query.group_by"),
            ({"from": "last week"}, "query.from"),
            ({"from": "2026-02-01", "to": "2026-01-01"}, "query.to"),
            ({"from": "2026-02-01T09:00:00+09:00", "to": "2026-02-01"}, "query.to"),
            ({"from": "2026-01-01T00:00:00"}, "query.from"),  # no zone: not read as a day
            ({"to": "2026-01-01T09:30"}, "query.to"),
            ({"to": "2026-01-01Tnoon+09:00"}, "query.to"),
            ({"format": "xml"}, "query.format"),
        ],
    )
    async def test_bad_parameters_are_a_422_naming_the_field(
        self, matching: TestClient[Any, Any], admin: Caller, params: dict[str, str], field: str
    ) -> None:
        response = await admin.get("/reports/matching", **params)
        assert response.status == 422
        named = [error["field"] for error in (await response.json())["errors"]]
        assert named and all(name.startswith(field) for name in named), named
