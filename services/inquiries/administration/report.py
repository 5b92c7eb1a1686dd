"""The desk report: per country and category, counts, medians, SLA attainment and the
requesters' satisfaction. Pure."""

from collections import defaultdict
from datetime import datetime
from statistics import mean, median

from pydantic import BaseModel, ConfigDict, Field

from services.inquiries.model import Inquiry
from services.inquiries.vocabulary import ASEANCountry
from shared.contracts.inquiries import SlaClockKind


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: ASEANCountry | None = None
    format: str | None = Field(
        default=None, pattern="^(json|csv)$", description="csv, or send Accept: text/csv"
    )


class ReportRow(BaseModel):
    country: str
    category: str
    total: int
    open: int
    closed: int
    median_first_response_minutes: float | None = Field(description="Business minutes")
    median_resolution_minutes: float | None = Field(description="Business minutes")
    sla_met: int
    sla_breached: int
    sla_attainment: float | None = Field(description="met / (met + breached), both clocks")
    satisfaction_ratings: int = Field(description="Inquiries whose requester rated them")
    satisfaction_average: float | None = Field(
        description="Mean rating of the standing closures, 1-5"
    )


class Report(BaseModel):
    generated_at: datetime
    rows: list[ReportRow]


def build_report(inquiries: list[Inquiry], now: datetime) -> Report:
    groups: dict[tuple[str, str], list[Inquiry]] = defaultdict(list)
    for inquiry in inquiries:
        groups[(inquiry.country, inquiry.category)].append(inquiry)
    rows = [_row(country, category, group) for (country, category), group in groups.items()]
    return Report(generated_at=now, rows=sorted(rows, key=lambda row: (row.country, row.category)))


def _row(country: str, category: str, group: list[Inquiry]) -> ReportRow:
    clocks = [clock for inquiry in group for clock in inquiry.clocks.values()]
    met = sum(clock.outcome == "met" for clock in clocks)
    breached = sum(clock.breached for clock in clocks)
    closed = sum(inquiry.status == "closed" for inquiry in group)
    ratings = [inquiry.satisfaction.rating for inquiry in group if inquiry.satisfaction]
    return ReportRow(
        country=country,
        category=category,
        total=len(group),
        open=len(group) - closed,
        closed=closed,
        median_first_response_minutes=_median_minutes(group, "first_response"),
        median_resolution_minutes=_median_minutes(group, "resolution"),
        sla_met=met,
        sla_breached=breached,
        sla_attainment=round(met / (met + breached), 4) if met + breached else None,
        satisfaction_ratings=len(ratings),
        satisfaction_average=round(mean(ratings), 2) if ratings else None,
    )


def _median_minutes(group: list[Inquiry], kind: SlaClockKind) -> float | None:
    """Over the clocks that reached their goal, in time or late (not the cancelled ones)."""
    used = [
        inquiry.clocks[kind].used_seconds / 60
        for inquiry in group
        if inquiry.clocks[kind].outcome in ("met", "breached")
    ]
    return round(median(used), 1) if used else None
