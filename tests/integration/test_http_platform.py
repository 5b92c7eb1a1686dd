"""What every service gets from the shared app factory: health, metrics, docs, ids."""

import asyncio
import re
from collections.abc import Awaitable
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate

from shared import tasks
from shared.consumer import BrokerLossRecovery
from shared.envelope import Envelope
from shared.kafka import create_producer
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.monitor.records import key_issued
from tests.integration.test_companies_api import registration
from tests.support import Caller, eventually, granted, read_topic

UNSAFE_IDS = ["x" * 8000, "x" * 65, "a b", "id;drop", "<script>", "line\tbreak", "ü-id", ""]

EVERY_CHECK_OK = {
    "mongodb": "ok",
    "kafka": "ok",
    "relay": "ok",
    "identity-relay": "ok",
    "consumer": "ok",
}
"""The companies service's readiness: its servers, its two relays and its consumer."""


async def test_healthz_answers_without_a_key(anonymous: Caller) -> None:
    response = await anonymous.get("/healthz")
    assert response.status == 200 and (await response.json()) == {"status": "ok"}


async def test_readyz_checks_mongodb_kafka_and_the_background_loops(anonymous: Caller) -> None:
    response = await anonymous.get("/readyz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "checks": EVERY_CHECK_OK}


async def test_a_consumer_loop_that_ended_makes_the_service_degraded(anonymous: Caller) -> None:
    """Whatever ended it, a service that reads no more events must not look healthy."""
    (consumer,) = [task for task in asyncio.all_tasks() if task.get_name() == "companies-consumer"]
    consumer.cancel()
    await asyncio.gather(consumer, return_exceptions=True)
    degraded = {"status": "degraded", "checks": {**EVERY_CHECK_OK, "consumer": "unavailable"}}

    async def readiness_is_degraded() -> bool:
        # Read again until it matches: on a loaded machine the broker's probe (3 s) can miss
        # once and say "kafka: unavailable" beside the consumer.
        response = await anonymous.get("/readyz")
        return response.status == 200 and await response.json() == degraded

    await eventually(readiness_is_degraded, timeout=30)


async def test_a_consumer_loop_that_failed_is_started_again_and_reads_on(
    anonymous: Caller, settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error nothing in the loop expected ended it for good: the service read no more
    events until its process restarted. Now it is down for a pause, then reads on."""
    monkeypatch.setattr(tasks, "RESTART_FIRST_SECONDS", 2.0)  # long enough to be seen
    before_poll = BrokerLossRecovery.before_poll

    async def fails_once(recovery: BrokerLossRecovery, *args: Any) -> Any:
        monkeypatch.setattr(BrokerLossRecovery, "before_poll", before_poll)
        raise RuntimeError("nothing in the loop expected this")

    monkeypatch.setattr(BrokerLossRecovery, "before_poll", fails_once)
    await eventually(lambda: _consumer_check(anonymous, "unavailable"))
    await eventually(lambda: _consumer_check(anonymous, "ok"))

    plaintext, envelope = key_issued(settings)  # read from the identity stream after it
    producer = create_producer(settings, "test-producer")
    await producer.start()
    try:
        identity = Topics(settings.topic_prefix).of("identity")
        await producer.send_and_wait(identity, envelope.to_bytes(), key=envelope.subject.encode())
    finally:
        await producer.stop()
    issued = Caller(anonymous.client, plaintext)
    await eventually(lambda: _status_is(issued.get("/companies"), 200), timeout=30)


async def _consumer_check(caller: Caller, state: str) -> bool:
    checks = (await (await caller.get("/readyz")).json())["checks"]
    return bool(checks["consumer"] == state)


async def _status_is(response: Awaitable[ClientResponse], status: int) -> bool:
    return (await response).status == status


async def test_metrics_count_requests_by_route_template(anonymous: Caller) -> None:
    await anonymous.get("/companies/abc")
    text = await (await anonymous.get("/metrics")).text()
    assert re.search(
        r'http_requests_total\{method="GET",route="/companies/\{company_id\}",status="401"\} 1\.0',
        text,
    )
    assert "http_request_duration_seconds_bucket" in text


async def test_request_and_correlation_ids_are_echoed_or_made(anonymous: Caller) -> None:
    response = await anonymous.client.get("/healthz", headers={"X-Request-ID": "req-7"})
    assert response.headers["X-Request-ID"] == "req-7"
    assert response.headers["X-Correlation-ID"] == "req-7"
    fresh = await anonymous.get("/healthz")
    assert len(fresh.headers["X-Request-ID"]) == 36
    both = {"X-Request-ID": "req:7.a_b-" + "9" * 53, "X-Correlation-ID": "conv-1"}
    response = await anonymous.client.get("/healthz", headers=both)
    assert response.headers["X-Request-ID"] == both["X-Request-ID"]  # 64: the longest kept
    assert response.headers["X-Correlation-ID"] == "conv-1"


@pytest.mark.parametrize("unsafe", UNSAFE_IDS, ids=lambda value: f"{value[:10]!r}…{len(value)}")
async def test_long_or_unsafe_ids_are_replaced_by_fresh_ones(
    anonymous: Caller, unsafe: str
) -> None:
    headers = {"X-Request-ID": unsafe, "X-Correlation-ID": unsafe}
    response = await anonymous.client.get("/healthz", headers=headers)
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 36 and request_id != unsafe
    assert response.headers["X-Correlation-ID"] == request_id


async def test_an_unsafe_correlation_id_never_reaches_an_event(
    anonymous: Caller, settings: ServiceSettings
) -> None:
    headers = {"X-Correlation-ID": "c" * 8000}
    response = await anonymous.post("/companies", registration(), headers=headers)
    correlation_id = response.headers["X-Correlation-ID"]
    assert response.status == 201 and len(correlation_id) == 36  # a fresh one
    [record] = await read_topic(settings, Topics(settings.topic_prefix).of("companies"), 1)
    assert Envelope.from_bytes(record.value).correlationid == correlation_id
    assert dict(record.headers)["correlationid"] == correlation_id.encode()


async def test_the_openapi_document_is_valid_31(anonymous: Caller) -> None:
    document = await (await anonymous.get("/openapi.json")).json()
    assert document["openapi"] == "3.1.0"
    validate(document)
    assert set(document["paths"]) >= {"/companies", "/companies/{company_id}"}


async def test_every_request_body_example_is_accepted_by_the_live_service(
    anonymous: Caller, client: TestClient[Any, Any]
) -> None:
    document = await (await anonymous.get("/openapi.json")).json()
    admin = await granted(client, "admin")
    registered = await (
        await anonymous.post("/companies", _example(document, "/companies", "post"))
    ).json()
    company_id = registered["company"]["company_id"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation:
                continue
            example = operation["requestBody"]["content"]["application/json"]["example"]
            url = path.format(company_id=company_id)
            # A fresh corporate number is not needed: the registration example was used once.
            if (path, method) == ("/companies", "post"):
                example = {
                    key: value for key, value in example.items() if key != "corporate_number"
                }
            response = await admin.client.request(
                method.upper(),
                url,
                json=example,
                headers={"Authorization": f"Bearer {admin.key}", "If-Match": "*"},
            )
            assert response.status in (200, 201), (path, method, await response.text())


async def test_the_docs_page_needs_no_network(anonymous: Caller) -> None:
    response = await anonymous.get("/docs")
    page = await response.text()
    assert response.status == 200 and "SwaggerUIBundle" in page
    assert "/openapi.json" in page
    assert not re.search(r'(src|href)="https?://', page)


async def test_a_wrong_method_is_a_405_problem_with_allow(anonymous: Caller) -> None:
    response = await anonymous.client.delete("/companies")
    assert response.status == 405
    assert response.content_type == "application/problem+json"
    assert "POST" in response.headers["Allow"]


async def test_metrics_count_what_the_outbox_relay_published(anonymous: Caller) -> None:
    await anonymous.post("/companies", registration())

    async def published() -> bool:
        text = await (await anonymous.get("/metrics")).text()
        return "outbox_published_total 2.0" in text  # the company's and its key's events

    await eventually(published)


def _example(document: dict[str, Any], path: str, method: str) -> Any:
    return document["paths"][path][method]["requestBody"]["content"]["application/json"]["example"]
