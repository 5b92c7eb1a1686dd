"""Prometheus metrics of one service: HTTP, outbox relay, consumer.

One registry per app, so tests can build many apps in one process.
"""

from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

TRANSACTION_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2, 5)


@dataclass
class ServiceMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by route template, method and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.refused = Counter(
            "http_refused_total",
            "HTTP requests refused by the parser before any route (malformed HTTP), by status",
            ["status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route"],
            registry=self.registry,
        )
        self.outbox_published = Counter(
            "outbox_published_total", "Outbox events acknowledged by Kafka", registry=self.registry
        )
        self.outbox_failures = Counter(
            "outbox_publish_failures_total",
            "Relay passes that stopped because Kafka refused or was unreachable",
            registry=self.registry,
        )
        self.consumed = Counter(
            "consumer_events_total",
            "Consumed events by topic and outcome (handled, redelivery, ignored, dead_lettered)",
            ["topic", "outcome"],
            registry=self.registry,
        )
        self.transactions = Histogram(
            "consumer_transaction_seconds",
            "A consumer transaction that committed, from its start to its commit, by topic",
            ["topic"],
            buckets=TRANSACTION_BUCKETS,
            registry=self.registry,
        )
        self.transaction_events = Histogram(
            "consumer_transaction_events",
            "Events a committed consumer transaction held (a batch shares one), by topic",
            ["topic"],
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
            registry=self.registry,
        )
        self.foreign_types = Counter(
            "consumer_foreign_event_types_total",
            "Events of a type no contract defines and of another family than their topic's",
            ["topic", "type"],
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def count_refusal(self, status: int) -> None:
        self.refused.labels(str(status)).inc()

    def render(self) -> web.Response:
        # aiohttp rejects a charset inside content_type=, so the header is passed whole.
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
