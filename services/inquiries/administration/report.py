"""The desk report: the inquiries submitted in a period, grouped by country, category,
queue, officer, priority or tag (as a whole or month by month), with counts, response and
resolution times in business minutes, SLA attainment, the reopen rate and satisfaction.
Pure: the repository and the calendars give it what it counts."""

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from itertools import product
from statistics import mean, median
from typing import Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from services.inquiries.model import Inquiry
from services.inquiries.sla.business_hours import BusinessCalendar
from services.inquiries.vocabulary import ASEANCountry
from shared.contracts.vocabulary import UNIQUE
from shared.http.moments import storable

Dimension = Literal["country", "category", "queue", "officer", "priority", "tag"]
Interval = Literal["period", "month"]
Key = tuple[str | None, ...]
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: object) -> object:
    """Only ``YYYY-MM-DD``, as documented: lax parsing would take ``0`` for 1970-01-01."""
    if isinstance(value, str) and not _ISO_DAY.match(value):
        raise ValueError("a day as YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day), AfterValidator(storable)]


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_: Day | None = Field(
        default=None, alias="from", description="First day (UTC) of the submissions counted"
    )
    to: Day | None = Field(default=None, description="Last day (UTC) counted, inclusive")
    group_by: Annotated[list[Dimension], UNIQUE] = Field(
        default_factory=lambda: list[Dimension](["country", "category"]),
        description="One or more dimensions; an inquiry with several tags counts in each",
    )
    country: ASEANCountry | None = None
    interval: Interval | None = Field(
        default=None,
        description="period: one row per group; month: per month of submission as well. "
        "Default: period for JSON, month for CSV",
    )
    format: str | None = Field(
        default=None, pattern="^(json|csv)$", description="csv, or send Accept: text/csv"
    )

    @field_validator("to")
    @classmethod
    def _not_before_from(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("from_")
        if value is not None and start is not None and value < start:
            raise ValueError(f"the period ends ({value}) before it begins ({start})")
        return value


class ReportRow(BaseModel):
    month: str | None = Field(default=None, description="YYYY-MM of submission (interval=month)")
    country: str | None = None
    category: str | None = None
    queue: str | None = None
    officer: str | None = Field(default=None, description="Person id; null: unassigned")
    officer_name: str | None = None
    priority: str | None = None
    tag: str | None = Field(default=None, description="Null: inquiries without a tag")
    total: int
    open: int
    closed: int
    median_first_response_minutes: float | None = Field(description="Business minutes")
    p90_first_response_minutes: float | None = Field(description="Nearest-rank 90th percentile")
    median_resolution_minutes: float | None = Field(description="Business minutes")
    p90_resolution_minutes: float | None = Field(description="Nearest-rank 90th percentile")
    sla_met: int
    sla_breached: int
    sla_attainment: float | None = Field(description="met / (met + breached), both clocks")
    reopened: int = Field(description="Inquiries reopened at least once")
    reopen_rate: float | None = Field(description="reopened / inquiries ever closed")
    satisfaction_ratings: int = Field(description="Inquiries whose requester rated them")
    satisfaction_average: float | None = Field(
        description="Mean rating of the standing closures, 1-5"
    )


class Report(BaseModel):
    generated_at: datetime
    period_from: date | None
    period_to: date | None
    group_by: list[Dimension]
    interval: Interval
    rows: list[ReportRow]


@dataclass(frozen=True, slots=True)
class Reported:
    """One inquiry as the report counts it: only what it counts, not the inquiry itself
    (~8 KB a whole inquiry in memory, so a report of a long period held hundreds of
    megabytes while it was made)."""

    inquiry_id: str
    country: str
    category: str
    queue: str | None
    officer: str | None
    officer_name: str | None
    priority: str
    submitted_at: datetime
    closed: bool
    sla_met: int
    sla_breached: int
    rating: int | None
    tags: tuple[str, ...]
    reopened: bool
    first_response_minutes: float | None
    resolution_minutes: float | None

    @classmethod
    def of(
        cls, inquiry: Inquiry, tags: Iterable[str], reopened: bool, calendar: BusinessCalendar
    ) -> "Reported":
        """Times are business minutes of the desk's calendar from submission to the first
        desk reply, and to the closure that stands (waiting on the requester counts; a
        merged duplicate was resolved by the other inquiry and has no resolution time)."""

        def minutes(until: datetime | None) -> float | None:
            if until is None:
                return None
            return calendar.between(inquiry.submitted_at, until).total_seconds() / 60

        resolved = inquiry.closed_at if inquiry.merged_into is None else None
        clocks = inquiry.clocks.values()
        return cls(
            inquiry_id=inquiry.inquiry_id,
            country=inquiry.country,
            category=inquiry.category,
            queue=inquiry.queue,
            officer=inquiry.officer,
            officer_name=inquiry.officer_name,
            priority=inquiry.priority,
            submitted_at=inquiry.submitted_at,
            closed=inquiry.status == "closed",
            sla_met=sum(clock.outcome == "met" for clock in clocks),
            sla_breached=sum(clock.breached for clock in clocks),
            rating=inquiry.satisfaction.rating if inquiry.satisfaction else None,
            tags=tuple(tags),
            reopened=reopened,
            first_response_minutes=minutes(inquiry.first_response_at),
            resolution_minutes=minutes(resolved),
        )

    def keys(self, group_by: list[Dimension], monthly: bool) -> list[Key]:
        values: dict[Dimension, tuple[str | None, ...]] = {
            "country": (self.country,),
            "category": (self.category,),
            "queue": (self.queue,),
            "officer": (self.officer,),
            "priority": (self.priority,),
            "tag": self.tags or (None,),
        }
        month = (self.submitted_at.strftime("%Y-%m") if monthly else None,)
        return list(product(month, *(values[dimension] for dimension in group_by)))


def build_report(
    found: list[Reported], query: ReportQuery, interval: Interval, now: datetime
) -> Report:
    groups: dict[Key, list[Reported]] = defaultdict(list)
    for reported in found:
        for key in reported.keys(query.group_by, interval == "month"):
            groups[key].append(reported)
    rows = [_row(key, query.group_by, group) for key, group in groups.items()]
    rows.sort(key=lambda row: [_sortable(value) for value in _key_of(row, query.group_by)])
    return Report(
        generated_at=now,
        period_from=query.from_,
        period_to=query.to,
        group_by=query.group_by,
        interval=interval,
        rows=rows,
    )


def _row(key: Key, group_by: list[Dimension], group: list[Reported]) -> ReportRow:
    met = sum(reported.sla_met for reported in group)
    breached = sum(reported.sla_breached for reported in group)
    closed = sum(reported.closed for reported in group)
    reopened = sum(reported.reopened for reported in group)
    ever_closed = sum(reported.reopened or reported.closed for reported in group)
    ratings = [reported.rating for reported in group if reported.rating is not None]
    first = [r.first_response_minutes for r in group if r.first_response_minutes is not None]
    resolved = [r.resolution_minutes for r in group if r.resolution_minutes is not None]
    named: dict[str, str | None] = dict(zip(group_by, key[1:], strict=True))
    if "officer" in named:
        named["officer_name"] = group[0].officer_name
    return ReportRow(
        month=key[0],
        **named,
        total=len(group),
        open=len(group) - closed,
        closed=closed,
        median_first_response_minutes=_median(first),
        p90_first_response_minutes=_p90(first),
        median_resolution_minutes=_median(resolved),
        p90_resolution_minutes=_p90(resolved),
        sla_met=met,
        sla_breached=breached,
        sla_attainment=round(met / (met + breached), 4) if met + breached else None,
        reopened=reopened,
        reopen_rate=round(reopened / ever_closed, 4) if ever_closed else None,
        satisfaction_ratings=len(ratings),
        satisfaction_average=round(mean(ratings), 2) if ratings else None,
    )


def _median(values: list[float]) -> float | None:
    return round(median(values), 1) if values else None


def _p90(values: list[float]) -> float | None:
    """The nearest rank: the smallest value with at least 90 % of them at or below it."""
    if not values:
        return None
    return round(sorted(values)[math.ceil(0.9 * len(values)) - 1], 1)


def _key_of(row: ReportRow, group_by: list[Dimension]) -> list[str | None]:
    return [row.month, *(getattr(row, dimension) for dimension in group_by)]


def _sortable(value: str | None) -> tuple[bool, str]:
    return value is None, value or ""  # none (unassigned, untagged) after the named


def report_columns(report: Report) -> list[str]:
    """The CSV's columns: one per grouping (and the month), then the figures."""
    grouping = ["month"] if report.interval == "month" else []
    grouping += report.group_by
    if "officer" in report.group_by:
        grouping.append("officer_name")
    return grouping + [name for name in ReportRow.model_fields if name not in _GROUPING]


_GROUPING = frozenset({"month", "officer_name", *get_args(Dimension)})
