"""Lag thresholds and alerts per consumer group. Pure: the evaluator decides, handlers act."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.monitor.streams.model import GroupStats


class Threshold(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"max_lag": 100, "max_age_seconds": 60}]}
    )

    max_lag: int | None = Field(default=None, ge=0, description="Null: no limit on lag")
    # Finite: JSON has no infinity, so 1e400 was stored as null, a limit no one set.
    max_age_seconds: float | None = Field(
        default=None,
        ge=0,
        allow_inf_nan=False,
        description="Oldest unconsumed record; null: no limit",
    )

    @model_validator(mode="after")
    def _some_limit(self) -> "Threshold":
        if self.max_lag is None and self.max_age_seconds is None:
            raise ValueError("set max_lag, max_age_seconds or both")
        return self


GROUP_NAME = r"^[A-Za-z0-9._-]{1,249}$"
"""A consumer group's name as the desk's groups are spelled (Kafka's topic alphabet and
length): a threshold for anything else could never fire."""


class GroupPath(BaseModel):
    group: str = Field(pattern=GROUP_NAME)


class GroupThreshold(Threshold):
    group: str


class Alert(BaseModel):
    group: str
    active: bool
    raised_at: datetime
    cleared_at: datetime | None = None
    lag: int
    oldest_age_seconds: float | None
    reasons: list[str]


Verdict = Literal["raise", "clear", "keep"]


def breaches(threshold: Threshold, stats: GroupStats) -> list[str]:
    """Each limit the group is over, in words; empty when it is within all of them."""
    reasons = []
    if threshold.max_lag is not None and stats.lag > threshold.max_lag:
        reasons.append(f"lag {stats.lag} > {threshold.max_lag}")
    age = stats.oldest_age_seconds
    if (
        threshold.max_age_seconds is not None
        and age is not None
        and age > threshold.max_age_seconds
    ):
        reasons.append(f"oldest unconsumed {age:.0f}s > {threshold.max_age_seconds:.0f}s")
    return reasons


def verdict(reasons: list[str], active: bool) -> Verdict:
    """Raise on crossing, clear on coming back under; nothing while the state holds."""
    if reasons and not active:
        return "raise"
    if not reasons and active:
        return "clear"
    return "keep"
