"""What the benchmarks feed the desk: events, outbox rows, isolated settings."""

import secrets
import uuid
from typing import Any

from shared.contracts.companies import CompanyVerified
from shared.envelope import Envelope
from shared.kafka import ensure_topics
from shared.settings import ServiceSettings, isolated_names


def run_settings(mongodb_uri: str, kafka_bootstrap: str, **overrides: Any) -> ServiceSettings:
    """Settings with databases, topics and groups of their own, so rounds never meet."""
    values: dict[str, Any] = {
        "mongodb_uri": mongodb_uri,
        "kafka_bootstrap_servers": kafka_bootstrap,
        **isolated_names(f"b{uuid.uuid4().hex[:10]}"),
        "log_level": "WARNING",
        "kafka_session_timeout_ms": 3_000,
        "public_rate_per_minute": 10_000_000,
        "public_rate_burst": 1_000_000,
        "key_pepper": secrets.token_urlsafe(32),  # every process of the run shares it
        **overrides,
    }
    return ServiceSettings(**values)


async def fresh_topic(settings: ServiceSettings, stream: str = "companies") -> str:
    topic = f"{settings.topic_prefix}.{stream}.v1"
    await ensure_topics(settings.kafka_bootstrap_servers, [topic])
    return topic


def events(count: int, keys: int = 50) -> list[Envelope]:
    """Company events over ``keys`` aggregates, so per-key order means something."""
    return [
        Envelope.wrap(
            CompanyVerified(company_id=f"c{index % keys}", version=index + 1, by="bench"),
            source="bench",
            subject=f"c{index % keys}",
        )
        for index in range(count)
    ]
