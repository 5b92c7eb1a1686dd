"""The matching service's own knobs, on top of the settings every service shares."""

from pathlib import Path

from pydantic import Field

from services.matching.index.matchmaker import StatsSchedule
from services.matching.scoring.selection import ListRules
from services.matching.scoring.weights import Weights, load_weights
from shared.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    """``JAMP_MATCHING_*`` environment variables."""

    matching_list_size: int = Field(default=10, ge=1, le=100)
    matching_exposure_cap: int = Field(default=20, ge=1)
    matching_min_score: float = Field(default=0.05, ge=0, le=1)
    # One side accepted: the other has this long to answer before the request expires.
    matching_response_days: float = Field(default=14, gt=0)
    matching_expiry_poll_seconds: float = Field(default=60, gt=0)
    # Corpus statistics are refreshed (with a full rescore) once this share of the pool
    # changed, or this long after the last refresh if anything changed.
    matching_stats_refresh_share: float = Field(default=0.25, gt=0, le=1)
    matching_stats_refresh_seconds: float = Field(default=900, gt=0)
    # Factor weights written by `jamp matching fit`; unset, the hand-set ones score.
    matching_weights_file: Path | None = None

    @classmethod
    def of(cls, settings: ServiceSettings) -> "MatchingSettings":
        """The shared settings a caller built, with the matching defaults (or env) added."""
        if isinstance(settings, cls):
            return settings
        return cls(**settings.model_dump())

    def stats_schedule(self) -> StatsSchedule:
        return StatsSchedule(
            share=self.matching_stats_refresh_share, seconds=self.matching_stats_refresh_seconds
        )

    def weights(self) -> Weights:
        return load_weights(self.matching_weights_file)

    def list_rules(self) -> ListRules:
        return ListRules(
            size=self.matching_list_size,
            cap=self.matching_exposure_cap,
            floor=self.matching_min_score,
        )
