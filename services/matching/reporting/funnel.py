"""The matching funnel per country, city or focus area, with median times between steps.
Pure: the repository hands over each match's way through the funnel.

A cohort report: the matches proposed in the period, and how far each has come by now (a
match proposed in March and met in May counts as met in a March-to-April report)."""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from statistics import median
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from shared.http.moments import storable

GroupBy = Literal["country", "city", "focus_area"]
NEXT_STEPS = ("mou", "fs_proposal")
ALL = "all"
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso(value: object) -> object:
    if not isinstance(value, str) or ISO_DAY.fullmatch(value):
        return value
    # Pydantic reads a number ("0.5") as seconds since 1970, and a time without a zone at
    # midnight as a date: a period is a date, or a time that says which zone it is in.
    try:
        moment = datetime.fromisoformat(value) if ISO_DAY.match(value) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError("a date (2026-04-01) or a time with its zone (2026-04-01T00:00:00Z)")
    return moment


Moment = Annotated[AwareDatetime | date, BeforeValidator(_iso), AfterValidator(storable)]


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_by: GroupBy = Field(
        default="country", description="A match with several focus areas counts in each"
    )
    since: Moment | None = Field(
        default=None,
        alias="from",
        description="Matches proposed at or after (a date: its start, UTC)",
    )
    until: Moment | None = Field(
        default=None, alias="to", description="Matches proposed before (a date: its start, UTC)"
    )
    format: str | None = Field(
        default=None, pattern="^(json|csv)$", description="csv, or send Accept: text/csv"
    )

    @field_validator("until")
    @classmethod
    def _after_since(
        cls, until: datetime | date | None, info: ValidationInfo
    ) -> datetime | date | None:
        start, end = _moment(info.data.get("since")), _moment(until)
        if start and end and end <= start:
            raise ValueError(f"'to' ({until}) must be after 'from' ({info.data['since']})")
        return until

    @property
    def start(self) -> datetime | None:
        return _moment(self.since)

    @property
    def end(self) -> datetime | None:
        return _moment(self.until)


def _moment(value: datetime | date | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), tzinfo=UTC)


@dataclass(frozen=True)
class Journey:
    """How far one match came, and when it passed each step."""

    country: str
    city_id: str
    focus_areas: tuple[str, ...]
    proposed_at: datetime
    answered_at: datetime | None = None
    """The first answer of either side."""
    mutual_at: datetime | None = None
    """The second acceptance (kept even if the match later left its list)."""
    met_at: datetime | None = None
    """The start of its first meeting that was not cancelled and has started."""
    next_steps: tuple[tuple[str, datetime], ...] = ()
    """(MOU or F/S proposal, when a side first named it after the meeting)."""

    def groups(self, group_by: GroupBy) -> Iterable[str]:
        if group_by == "country":
            return (self.country,)
        if group_by == "city":
            return (self.city_id,)
        return self.focus_areas


class FunnelRow(BaseModel):
    group: str = Field(description="The country, city id or focus area; 'all' for the total")
    proposed: int
    answered: int = Field(description="At least one side answered (accepted or declined)")
    mutual: int = Field(description="Both sides accepted")
    met: int = Field(description="A meeting (not cancelled) has started")
    mou: int = Field(description="After the meeting a side named an MOU as next step")
    fs_proposal: int = Field(description="After the meeting a side named an F/S proposal")
    median_hours_to_answer: float | None = Field(description="Proposed → first answer")
    median_hours_to_mutual: float | None = Field(description="First answer → both accepted")
    median_hours_to_meeting: float | None = Field(description="Both accepted → meeting start")
    median_hours_to_next_step: float | None = Field(
        description="Meeting start → first MOU or F/S proposal named"
    )


class MatchingReport(BaseModel):
    generated_at: datetime
    group_by: GroupBy
    proposed_since: datetime | None = Field(description="The query's 'from'")
    proposed_before: datetime | None = Field(description="The query's 'to'")
    total: FunnelRow = Field(description="Every match once, whatever its groups")
    rows: list[FunnelRow]


def build_report(journeys: list[Journey], query: ReportQuery, now: datetime) -> MatchingReport:
    groups: dict[str, list[Journey]] = defaultdict(list)
    for journey in journeys:
        for group in journey.groups(query.group_by):
            groups[group].append(journey)
    return MatchingReport(
        generated_at=now,
        group_by=query.group_by,
        proposed_since=query.start,
        proposed_before=query.end,
        total=funnel_row(ALL, journeys),
        rows=[funnel_row(group, groups[group]) for group in sorted(groups)],
    )


def funnel_row(group: str, journeys: list[Journey]) -> FunnelRow:
    def reached(step: str) -> int:
        return sum(any(name == step for name, _ in j.next_steps) for j in journeys)

    return FunnelRow(
        group=group,
        proposed=len(journeys),
        answered=sum(j.answered_at is not None for j in journeys),
        mutual=sum(j.mutual_at is not None for j in journeys),
        met=sum(j.met_at is not None for j in journeys),
        mou=reached("mou"),
        fs_proposal=reached("fs_proposal"),
        median_hours_to_answer=_median_hours((j.proposed_at, j.answered_at) for j in journeys),
        median_hours_to_mutual=_median_hours((j.answered_at, j.mutual_at) for j in journeys),
        median_hours_to_meeting=_median_hours((j.mutual_at, j.met_at) for j in journeys),
        median_hours_to_next_step=_median_hours(
            (j.met_at, min((at for _, at in j.next_steps), default=None)) for j in journeys
        ),
    )


def _median_hours(spans: Iterable[tuple[datetime | None, datetime | None]]) -> float | None:
    """Over the matches that reached both steps."""
    hours = [(end - start).total_seconds() / 3600 for start, end in spans if start and end]
    return round(median(hours), 2) if hours else None
