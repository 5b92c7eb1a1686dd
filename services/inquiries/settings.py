"""The inquiries service's own knobs (prefix ``JAMP_INQUIRIES_``), read once at start."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.contracts.inquiries import InquiryPriority


class InquirySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JAMP_INQUIRIES_", frozen=True, extra="ignore")

    # Targets in business minutes of the receiving desk (8 business hours = one day).
    first_response_minutes: dict[InquiryPriority, int] = {
        "urgent": 60,
        "high": 240,
        "normal": 480,
        "low": 960,
    }
    resolution_minutes: dict[InquiryPriority, int] = {
        "urgent": 480,
        "high": 1440,
        "normal": 2400,
        "low": 4800,
    }
    sla_warning_ratio: float = Field(default=0.75, gt=0, lt=1)
    sla_tick_seconds: float = Field(default=5.0, gt=0)
    sla_tick_batch: int = Field(default=100, ge=1)
    # The requester side may reopen a closed inquiry this long after its closure.
    reopen_window_days: float = Field(default=14, gt=0)
    # An inquiry waiting on the requester this many business days closes itself.
    auto_close_business_days: int = Field(default=10, ge=1, le=250)
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_retry_base_seconds: float = Field(default=10.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # After a secret is rotated, deliveries are signed with the old one too for this long,
    # so a receiver can switch without losing a delivery; 0 ends the old secret at once.
    webhook_secret_overlap_seconds: float = Field(default=86_400.0, ge=0)
