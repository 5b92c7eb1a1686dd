"""JSON log lines carry the request's ids, and a consumed event's ids."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from aiokafka import AIOKafkaProducer

from shared.auth import Role, issue_key
from shared.envelope import Envelope
from shared.kafka import create_producer
from shared.logs import configure_logging
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.support import eventually


@pytest.fixture
def json_logs(capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    configure_logging("INFO", json=True)  # after capfd took stderr over
    yield
    configure_logging("WARNING", json=False)


def log_lines(captured: str) -> list[dict[str, Any]]:
    lines = []
    for line in captured.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


async def test_every_request_is_logged_with_its_request_and_correlation_id(
    json_logs: None, client: TestClient[Any, Any], capfd: pytest.CaptureFixture[str]
) -> None:
    await client.get("/healthz", headers={"X-Request-ID": "req-1", "X-Correlation-ID": "c-9"})
    [line] = [
        entry for entry in log_lines(capfd.readouterr().err) if entry.get("path") == "/healthz"
    ]
    assert line["event"] == "http.request" and line["status"] == 200
    assert line["request_id"] == "req-1" and line["correlation_id"] == "c-9"
    assert line["level"] == "info" and "timestamp" in line


async def test_a_consumed_event_logs_with_its_event_and_correlation_id(
    json_logs: None,
    client: TestClient[Any, Any],
    settings: ServiceSettings,
    capfd: pytest.CaptureFixture[str],
) -> None:
    key = issue_key(Role.OPERATOR, None, "log test", settings.pepper())
    envelope = Envelope.wrap(
        key.event, source="test", subject=key.event.key_id, correlation_id="c-7"
    )
    producer: AIOKafkaProducer = create_producer(settings, "test")
    await producer.start()
    try:
        for _ in range(2):  # the second delivery is a redelivery, skipped and logged
            await producer.send_and_wait(
                Topics(settings.topic_prefix).of("identity"),
                envelope.to_bytes(),
                key=envelope.subject.encode(),
            )
    finally:
        await producer.stop()
    seen: list[dict[str, Any]] = []

    async def skipped() -> dict[str, Any] | None:
        seen.extend(log_lines(capfd.readouterr().err))
        return next((e for e in seen if e["event"] == "consumer.redelivery_skipped"), None)

    line = await eventually(skipped)
    assert line["event_id"] == envelope.id and line["correlation_id"] == "c-7"
    assert line["event_type"] == "jamp.apikey.issued.v1"
