"""Settings every service shares, read once from the environment (prefix ``JAMP_``)."""

import json
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.outbound import OutboundPolicy, allow_entry

# Peppers that are public (the old fallback, the Secret template's placeholder): refused.
_PUBLIC_PEPPERS = frozenset({"jamp-dev-pepper-change-me", "REPLACE-FROM-SECRET-STORE"})
MIN_PEPPER_LENGTH = 16


class MissingSecret(RuntimeError):
    """A secret the process needs is not configured; it must not start without it."""


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
    # How long a consumer's fetch may wait at the broker for records. Kafka answers as soon
    # as any arrive; the embedded broker holds the fetch longer, so a shorter wait is what
    # makes one event's latency its handling time there (at the price of idle fetches).
    kafka_fetch_max_wait_ms: int = Field(default=500, ge=1, le=60_000)
    topic_prefix: str = "jamp"
    # Consumer group = the service's name; a prefix keeps parallel deployments apart.
    group_prefix: str = ""
    database_prefix: str = "jamp_"
    http_host: str = "127.0.0.1"
    http_port: int = 0
    # Server-side secret mixed into API-key hashes; every service needs the same one.
    # No default: a service refuses to start without it (`jamp dev` and the tests set one).
    key_pepper: SecretStr | None = None
    # On SIGTERM the port keeps accepting this long while /readyz says "draining", so that
    # load balancers stop sending before it closes (Kubernetes: below the grace period).
    http_drain_seconds: float = Field(default=2.0, ge=0)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Public (keyless) endpoints such as self-registration, per client address.
    public_rate_per_minute: float = Field(default=30, gt=0)
    public_rate_burst: int = Field(default=10, ge=1)
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    # A relay woken by a commit waits this long first, so that the commits close behind it
    # share its read and its cursor write (each costs the database a few ms however few
    # rows it carries); it bounds the delay an event gains on its way to the broker.
    outbox_linger_seconds: float = Field(default=0.05, ge=0, le=1)
    # One relay per service publishes at a time; a replacement takes over this long after
    # the holder died without letting go. Renewed every third of it while there is work.
    outbox_lease_seconds: float = Field(default=5.0, ge=1)
    # A sequence number the relay has not seen for this long is closed with a tombstone
    # (its transaction aborted). Well past MongoDB's transactionLifetimeLimitSeconds (60):
    # it only bounds the list of gaps, since a late commit fails on the tombstone anyway.
    outbox_gap_horizon_seconds: float = Field(default=120.0, gt=0)
    # How often each service checks that the broker still holds the desk's topics and
    # incarnation marker (see shared/healing.py): a lost broker heals within about this.
    broker_check_seconds: float = Field(default=2.0, gt=0)
    # A service starting while its database is away (starting beside it, restarting, too
    # busy to answer one selection) waits this long for it before it gives up and exits.
    database_start_wait_seconds: float = Field(default=60.0, ge=0)
    outbox_retention_hours: float = Field(default=7 * 24, gt=0)
    consumer_retry_base_seconds: float = Field(default=0.2, gt=0)
    consumer_retry_max_seconds: float = Field(default=10.0, gt=0)
    consumer_max_attempts: int = Field(default=5, ge=1)
    log_level: str = "INFO"
    log_json: bool = True
    # Outbound calls to URLs callers chose (webhooks) go to public addresses over https
    # only; networks (CIDR), addresses or host names listed here are reachable even when
    # private or loopback. Comma-separated or a JSON list.
    outbound_allow: Annotated[tuple[str, ...], NoDecode] = ()
    outbound_allow_http: bool = False
    # Attachments (GridFS in the service's own database): per file and per parent (an
    # inquiry, a proposal), and how long an upload may wait for a change to refer to it.
    attachment_max_file_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    attachment_max_parent_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    attachment_grace_seconds: float = Field(default=24 * 3600, gt=0)
    attachment_sweep_seconds: float = Field(default=600, gt=0)

    @field_validator("key_pepper")
    @classmethod
    def _strong_pepper(cls, pepper: SecretStr | None) -> SecretStr | None:
        if pepper is None:
            return None
        value = pepper.get_secret_value()
        if len(value) < MIN_PEPPER_LENGTH or value in _PUBLIC_PEPPERS:
            raise ValueError(
                f"JAMP_KEY_PEPPER must be a private random secret of at least "
                f"{MIN_PEPPER_LENGTH} characters"
            )
        return pepper

    @field_validator("outbound_allow", mode="before")
    @classmethod
    def _allow_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else text.split(",")
        entries = tuple(str(entry).strip() for entry in value if str(entry).strip())
        for entry in entries:
            allow_entry(entry)  # a typo refuses to start rather than allowing nothing
        return entries

    def pepper(self) -> str:
        """The API-key pepper; MissingSecret when none is configured."""
        if self.key_pepper is None:
            raise MissingSecret(
                "JAMP_KEY_PEPPER is not set: give every service the same long random secret "
                "(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return self.key_pepper.get_secret_value()

    def outbound_policy(self) -> OutboundPolicy:
        return OutboundPolicy.of(self.outbound_allow, self.outbound_allow_http)

    def database_name(self, service: str) -> str:
        return f"{self.database_prefix}{service}"

    def group_id(self, service: str) -> str:
        return f"{self.group_prefix}{service}"


def isolated_names(tag: str) -> dict[str, str]:
    """Topic, database and group prefixes of a run of its own (a test, a benchmark round),
    so that runs sharing servers never meet."""
    return {"topic_prefix": tag, "database_prefix": f"{tag}_", "group_prefix": f"{tag}-"}
