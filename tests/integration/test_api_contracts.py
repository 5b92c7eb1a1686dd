"""Every service keeps the contract its served /openapi.json states, under schemathesis.

Each service is built by its own create_app and served on a real socket against the
embedded servers; schemathesis reads the served document and sends documented examples,
boundary cases and a bounded number of generated requests per operation (valid and
invalid), once with an admin key and once with none. Any 5xx, an undocumented status or
content type, a response outside its schema, a 4xx that is not problem+json, invalid
input that is accepted, or valid input refused for its own shape fails the test.
Generation is derandomized and seeded, so a failure reproduces.
"""

import asyncio
from typing import Any

import orjson
import pytest
import schemathesis
from schemathesis.engine import Status, events, from_schema

from shared.embedded import EmbeddedStack
from shared.kafka import ensure_topics
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.test_list_cursors import SERVICES
from tests.support import granted, isolated_settings, serving

EXAMPLES_PER_OPERATION = 10
SEED = 20261128
PROBLEM = "application/problem+json"
# 422 error types for rules a JSON schema cannot state: relations between fields, a cursor
# this API made, a reference to something that exists. Any other type refusing valid
# input means the documented schema and the validation disagree.
RULE_ERRORS = frozenset({"value_error", "invalid_cursor", "unknown_reference"})


@schemathesis.check
def client_errors_are_problem_details(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> None:
    if not 400 <= response.status_code < 500:
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.split(";")[0] == PROBLEM, f"a {response.status_code} as {content_type!r}"
    problem = orjson.loads(response.content)
    assert problem["status"] == response.status_code, problem
    assert {"type", "title", "detail"} <= set(problem), problem


@schemathesis.check
def valid_input_is_not_refused_for_its_shape(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> None:
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if response.status_code != 422:
        return
    errors = orjson.loads(response.content).get("errors", [])
    disagreements = [error for error in errors if error["type"] not in RULE_ERRORS]
    assert not disagreements, f"schema-valid input refused: {disagreements}"


CONFIG = {
    "seed": SEED,
    "generation": {
        "mode": "all",
        "max-examples": EXAMPLES_PER_OPERATION,
        "deterministic": True,
        "database": "none",
    },
    "phases": {
        "examples": {"enabled": True},
        "coverage": {"enabled": True},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
    "checks": {
        "enabled": False,
        "not_a_server_error": {"enabled": True},
        "status_code_conformance": {"enabled": True},
        "content_type_conformance": {"enabled": True},
        "response_schema_conformance": {"enabled": True},
        "negative_data_rejection": {
            "enabled": True,
            # 413: a body past JAMP_MAX_BODY_BYTES is refused before it is read.
            "expected-statuses": [400, 401, 403, 404, 405, 409, 413, 415, 422, 428, 429],
        },
        "unsupported_method": {"enabled": True},
        "allow_header_conformance": {"enabled": True},
        "client_errors_are_problem_details": {"enabled": True},
        "valid_input_is_not_refused_for_its_shape": {"enabled": True},
    },
    "workers": 1,
    "request-timeout": 30,
}


def contract_failures(base_url: str, headers: dict[str, str]) -> list[str]:
    """Run schemathesis against the served document; every failure and error, described."""
    config = schemathesis.Config.from_dict({**CONFIG, "headers": headers})
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=config)
    found: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            found.extend(_failures_of(event))
        elif isinstance(event, events.NonFatalError | events.FatalError):
            found.append(f"error: {event!r}")
    return found


def _failures_of(event: events.ScenarioFinished) -> list[str]:
    return [
        f"{event.recorder.label} [{check.name}] {check.failure_info.failure.title}: "
        f"{check.failure_info.failure.message}\n{check.failure_info.code_sample}"
        for checks in event.recorder.checks.values()
        for check in checks
        if check.status is Status.FAILURE and check.failure_info is not None
    ]


@pytest.fixture
async def open_settings(stack: EmbeddedStack) -> ServiceSettings:
    # Public registration is rate limited per address; the fuzzer is one address.
    configured = isolated_settings(
        stack.mongodb_uri,
        stack.kafka_bootstrap,
        public_rate_per_minute=100_000,
        public_rate_burst=100_000,
    )
    await ensure_topics(configured.kafka_bootstrap_servers, Topics(configured.topic_prefix).all())
    return configured


@pytest.mark.parametrize("with_key", [True, False], ids=["admin", "anonymous"])
@pytest.mark.parametrize("service", list(SERVICES))
async def test_the_service_keeps_its_documented_contract(
    service: str, with_key: bool, open_settings: ServiceSettings
) -> None:
    create_app, _ = SERVICES[service]
    async with serving(create_app, open_settings) as client:
        headers = {}
        if with_key:
            admin = await granted(client, "admin")
            headers["Authorization"] = f"Bearer {admin.key}"
        base_url = str(client.make_url("")).rstrip("/")
        failures = await asyncio.to_thread(contract_failures, base_url, headers)
    assert not failures, "\n\n".join(failures)
