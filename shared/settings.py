"""Settings every service shares, read once from the environment (prefix ``JAMP_``)."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Connection and tuning knobs; the same names in dev, CI and production."""

    model_config = SettingsConfigDict(env_prefix="JAMP_", frozen=True, extra="ignore")

    mongodb_uri: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Real Kafka supports idempotent producers; the embedded broker does not.
    kafka_idempotence: bool = False
    # A group member missing heartbeats this long is replaced; brokers also delay a new
    # member's first assignment by a part of it. Kafka refuses values under its
    # group.min.session.timeout.ms (6 s by default); tests use less on the embedded broker.
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1_000)
    topic_prefix: str = "jamp"
    # Consumer group = the service's name; a prefix keeps parallel deployments apart.
    group_prefix: str = ""
    database_prefix: str = "jamp_"
    http_host: str = "127.0.0.1"
    http_port: int = 0
    # Server-side secret mixed into API-key hashes; every service needs the same one.
    key_pepper: SecretStr = SecretStr("jamp-dev-pepper-change-me")
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Public (keyless) endpoints such as self-registration, per client address.
    public_rate_per_minute: float = Field(default=30, gt=0)
    public_rate_burst: int = Field(default=10, ge=1)
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    outbox_retention_hours: float = Field(default=7 * 24, gt=0)
    consumer_retry_base_seconds: float = Field(default=0.2, gt=0)
    consumer_retry_max_seconds: float = Field(default=10.0, gt=0)
    consumer_max_attempts: int = Field(default=5, ge=1)
    log_level: str = "INFO"
    log_json: bool = True

    def database_name(self, service: str) -> str:
        return f"{self.database_prefix}{service}"

    def group_id(self, service: str) -> str:
        return f"{self.group_prefix}{service}"
