"""The monitor's own knobs, on top of every service's settings (same ``JAMP_`` prefix)."""

from typing import Any

from pydantic import Field

from shared.settings import ServiceSettings

# The services whose consumer groups are watched where the broker cannot list groups.
DESK_SERVICES = ["companies", "proposals", "inquiries", "matching", "notifications", "monitor"]


class MonitorSettings(ServiceSettings):
    # Base URLs to health-check, by service name: JAMP_MONITOR_TARGETS='{"companies": "..."}'.
    monitor_targets: dict[str, str] = Field(default_factory=dict)
    monitor_services: list[str] = Field(default_factory=lambda: list(DESK_SERVICES))
    monitor_session_hours: float = Field(default=8, gt=0)
    # Secure cookies need HTTPS; set it wherever the console is served over TLS.
    monitor_cookie_secure: bool = False
    monitor_alert_seconds: float = Field(default=5.0, gt=0)
    monitor_health_timeout_seconds: float = Field(default=3.0, gt=0)
    monitor_broker_timeout_seconds: float = Field(default=10.0, gt=0)
    """How long the streams, health and alert views wait for the broker before saying so."""

    @classmethod
    def of(cls, settings: ServiceSettings) -> "MonitorSettings":
        """The monitor settings for shared ones (``serve`` builds a plain ServiceSettings):
        the given values win, the monitor's own come from the environment."""
        if isinstance(settings, cls):
            return settings
        values: dict[str, Any] = {
            name: getattr(settings, name) for name in ServiceSettings.model_fields
        }
        return cls(**values)
