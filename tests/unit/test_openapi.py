"""The companies service's OpenAPI document, generated from its endpoint declarations."""

from typing import Any

import pytest
from openapi_spec_validator import validate

from services.companies.routes import api
from shared.http.endpoints import Endpoint
from shared.http.openapi import build_openapi

DOCUMENT = build_openapi("JAMP Desk companies", "0.1.0", api.endpoints)
WITH_BODY = [endpoint for endpoint in api.endpoints if endpoint.body is not None]
PROTECTED = [endpoint for endpoint in api.endpoints if not endpoint.access.public]


def operation(endpoint: Endpoint) -> dict[str, Any]:
    found: dict[str, Any] = DOCUMENT["paths"][endpoint.path][endpoint.method.lower()]
    return found


def named(endpoints: list[Endpoint]) -> list[Any]:
    return [pytest.param(e, id=f"{e.method} {e.path}") for e in endpoints]


def test_the_document_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"] == "3.1.0"
    assert DOCUMENT["info"] == {"title": "JAMP Desk companies", "version": "0.1.0"}
    validate(DOCUMENT)


def test_every_endpoint_is_documented_once() -> None:
    documented = {
        (method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item
    }
    assert documented == {(e.method, e.path) for e in api.endpoints}
    assert len(documented) == len(api.endpoints)


def test_operation_ids_are_unique() -> None:
    ids = [operation(endpoint)["operationId"] for endpoint in api.endpoints]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("endpoint", named(WITH_BODY))
def test_every_request_body_has_an_example_its_model_accepts(endpoint: Endpoint) -> None:
    assert endpoint.body is not None
    body = operation(endpoint)["requestBody"]
    assert body["required"] is True
    example = body["content"]["application/json"]["example"]
    endpoint.body.model_validate(example)


@pytest.mark.parametrize("endpoint", named(PROTECTED))
def test_a_protected_operation_declares_its_key_and_its_refusals(endpoint: Endpoint) -> None:
    documented = operation(endpoint)
    assert documented["security"] == [{"apiKey": []}]
    assert {"401", "403"} <= set(documented["responses"])
    assert documented["x-roles"] == sorted(endpoint.access.roles)


def test_the_security_scheme_is_a_bearer_key() -> None:
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes == {"apiKey": {"type": "http", "scheme": "bearer"}}


def test_registration_is_public_and_rate_limited() -> None:
    register = DOCUMENT["paths"]["/companies"]["post"]
    assert register["security"] == []
    assert register["x-roles"] == []
    assert "401" not in register["responses"] and "403" not in register["responses"]
    assert {"201", "409", "422", "429"} <= set(register["responses"])


def test_path_parameters_are_declared() -> None:
    get_company = DOCUMENT["paths"]["/companies/{company_id}"]["get"]
    assert get_company["parameters"] == [
        {"name": "company_id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]


def test_the_search_query_parameters_are_declared() -> None:
    search = DOCUMENT["paths"]["/companies"]["get"]
    names = {parameter["name"] for parameter in search["parameters"]}
    assert names == {"limit", "cursor", "focus_area", "tag", "country", "status", "q"}
    assert all(parameter["in"] == "query" for parameter in search["parameters"])


def test_errors_are_problem_details() -> None:
    for item in DOCUMENT["paths"].values():
        for documented in item.values():
            for status, response in documented["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]
