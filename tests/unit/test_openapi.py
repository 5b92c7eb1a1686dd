"""Each service's OpenAPI document, generated from its endpoint declarations."""

import random
import re
from typing import Any

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.companies import app as companies_app
from services.inquiries import app as inquiries_app
from services.matching import app as matching_app
from services.monitor import app as monitor_app
from services.notifications import app as notifications_app
from services.proposals import app as proposals_app
from shared.documents.media import ALLOWED_MEDIA_TYPES
from shared.http.endpoints import Endpoint
from shared.http.openapi import _DocumentedSchema, build_openapi

SERVICES: dict[str, list[Endpoint]] = {
    name: [endpoint for group in routes for endpoint in group.endpoints]
    for name, routes in {
        "companies": companies_app.ROUTES,
        "proposals": proposals_app.ROUTES,
        "inquiries": inquiries_app.ROUTES,
        "matching": matching_app.ROUTES,
        "monitor": monitor_app.ROUTES,
        "notifications": notifications_app.ROUTES,
    }.items()
}
DOCUMENTS = {
    name: build_openapi(f"JAMP Desk {name}", "0.1.0", endpoints)
    for name, endpoints in SERVICES.items()
}
DOCUMENT = DOCUMENTS["companies"]


def operation(service: str, endpoint: Endpoint) -> dict[str, Any]:
    found: dict[str, Any] = DOCUMENTS[service]["paths"][endpoint.path][endpoint.method.lower()]
    return found


def every(keep: Any = lambda endpoint: True) -> list[Any]:
    return [
        pytest.param(name, e, id=f"{name} {e.method} {e.path}")
        for name, endpoints in SERVICES.items()
        for e in endpoints
        if keep(e)
    ]


@pytest.mark.parametrize("service", list(SERVICES))
def test_the_document_is_valid_openapi_3_1(service: str) -> None:
    document = DOCUMENTS[service]
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": f"JAMP Desk {service}", "version": "0.1.0"}
    validate(document)


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_endpoint_is_documented_once(service: str) -> None:
    endpoints = SERVICES[service]
    paths = DOCUMENTS[service]["paths"]
    documented = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert documented == {(e.method, e.path) for e in endpoints}
    assert len(documented) == len(endpoints)


@pytest.mark.parametrize("service", list(SERVICES))
def test_operation_ids_are_unique(service: str) -> None:
    ids = [operation(service, endpoint)["operationId"] for endpoint in SERVICES[service]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("service", "endpoint"), every(lambda e: e.body is not None))
def test_every_request_body_has_an_example_its_model_accepts(
    service: str, endpoint: Endpoint
) -> None:
    assert endpoint.body is not None
    body = operation(service, endpoint)["requestBody"]
    assert body["required"] is not endpoint.body_optional
    example = body["content"]["application/json"]["example"]
    endpoint.body.model_validate(example)


@pytest.mark.parametrize(("service", "endpoint"), every(lambda e: not e.access.public))
def test_a_protected_operation_declares_its_key_and_its_refusals(
    service: str, endpoint: Endpoint
) -> None:
    documented = operation(service, endpoint)
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


@pytest.mark.parametrize("service", list(SERVICES))
def test_errors_are_problem_details(service: str) -> None:
    for item in DOCUMENTS[service]["paths"].values():
        for documented in item.values():
            for status, response in documented["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]


@pytest.mark.parametrize(("service", "endpoint"), every(lambda e: e.upload is not None))
def test_an_upload_is_multipart_form_data_with_a_binary_file_part(
    service: str, endpoint: Endpoint
) -> None:
    documented = operation(service, endpoint)
    schema = documented["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == [endpoint.upload]
    part = schema["properties"][endpoint.upload]
    assert (part["type"], part["format"]) == ("string", "binary")
    assert {"413", "415", "422"} <= set(documented["responses"])


@pytest.mark.parametrize(("service", "endpoint"), every(lambda e: e.file_response))
def test_a_download_answers_bytes_whole_or_in_part(service: str, endpoint: Endpoint) -> None:
    responses = operation(service, endpoint)["responses"]
    for status in ("200", "206"):
        # Served as the type its bytes showed at upload (Content-Type), one of those allowed.
        assert set(responses[status]["content"]) == ALLOWED_MEDIA_TYPES
    assert "416" in responses


def test_both_services_declare_their_uploads() -> None:
    uploads = {(name, e.path) for name, found in SERVICES.items() for e in found if e.upload}
    assert uploads == {
        ("inquiries", "/inquiries/{inquiry_id}/attachments"),
        ("proposals", "/proposals/{proposal_id}/attachments"),
    }


class StrippedText(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=3, max_length=6)
    note: str = Field(default="", max_length=4)


@pytest.mark.parametrize("field", ["name", "note"])
def test_a_stripped_texts_documented_pattern_accepts_exactly_what_validation_does(
    field: str,
) -> None:
    schema = StrippedText.model_json_schema(schema_generator=_DocumentedSchema)
    documented = schema["properties"][field]
    assert "minLength" not in documented and "maxLength" not in documented
    pattern = re.compile(documented["pattern"])
    pieces = [" ", "\t", "\u3000", "\u00a0", "\x1c", "\ufeff", "a", "é", "\x00"]
    draw = random.Random(20261128)
    for _ in range(5_000):
        text = "".join(draw.choice(pieces) for _ in range(draw.randint(0, 9)))
        try:
            StrippedText.model_validate({"name": "abc", field: text})
            accepted = "\x00" not in text  # the shared input rules refuse NUL before
        except ValidationError:
            accepted = False
        assert accepted == bool(pattern.search(text)), repr(text)


class StrippedSlug(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    slug: str = Field(pattern=r"^[a-z]+(?:-[a-z]+)*$", min_length=2, max_length=4)


def test_a_stripped_text_with_a_pattern_of_its_own_is_documented_as_validated() -> None:
    documented = StrippedSlug.model_json_schema(schema_generator=_DocumentedSchema)
    pattern = re.compile(documented["properties"]["slug"]["pattern"])
    pieces = [" ", "\u3000", "\u0085", "a", "-", "B"]
    draw = random.Random(20261129)
    for _ in range(5_000):
        text = "".join(draw.choice(pieces) for _ in range(draw.randint(0, 8)))
        try:
            StrippedSlug.model_validate({"slug": text})
            accepted = True
        except ValidationError:
            accepted = False
        assert accepted == bool(pattern.search(text)), repr(text)


@pytest.mark.parametrize("service", list(SERVICES))
def test_no_query_parameter_is_documented_as_null(service: str) -> None:
    """A query parameter is left out, never null; a choice of types stays a choice."""
    for path, methods in DOCUMENTS[service]["paths"].items():
        for method, found in methods.items():
            for parameter in found.get("parameters", []):
                branches = parameter["schema"].get("anyOf", [])
                assert {"type": "null"} not in branches, (method, path, parameter["name"])
                assert parameter["schema"].get("default", "") is not None, (path, parameter)
