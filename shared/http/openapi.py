"""OpenAPI 3.1, generated from the same pydantic models and declarations the views use."""

import functools
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import (
    GenerateJsonSchema,
    JsonSchemaMode,
    JsonSchemaValue,
    models_json_schema,
)
from pydantic_core import core_schema

from shared.documents.media import ALLOWED_MEDIA_TYPES
from shared.http.endpoints import Endpoint
from shared.http.limits import MAX_INTEGER, MIN_INTEGER

REF = "#/components/schemas/{model}"
NO_NUL = r"^[^\x00]*$"
# What pydantic strips from a text (Unicode White_Space), spelled out: `\s` differs
# between Python's regular expressions and JSON Schema's.
WHITE_SPACE = r"\t\n\x0b\x0c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Times of day as the API reads (LocalTime) and writes them: "09:00", "09:00:00", "09:00:00.5".
LOCAL_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.,][0-9]+)?)?$"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}
_REASONS = {
    400: "Malformed request",
    401: "Missing or invalid API key",
    403: "Role or scope does not allow this",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Body too large",
    415: "Body is not JSON (or, for an upload, not multipart/form-data or a refused file type)",
    416: "Range not satisfiable",
    422: "Invalid input; `errors` names each field",
    428: "If-Match required",
    429: "Rate limited",
}


def build_openapi(title: str, version: str, endpoints: list[Endpoint]) -> dict[str, Any]:
    schemas = _component_schemas(endpoints)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": {**schemas["defs"], "Problem": PROBLEM_SCHEMA},
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
        },
    }


@functools.cache
def docs_page(spec_url: str) -> str:
    """Swagger UI 5 with its scripts inlined: the page works with no network."""
    # Imported at the first view of the docs: offapi reads all three UIs it ships (~9 MB of
    # script) into memory when imported, ~40 MB of every service's idle memory.
    from offapi import OpenAPITemplate

    page: str = OpenAPITemplate.SWAGGER.value.format(spec_url=spec_url)
    return page


class _DocumentedSchema(GenerateJsonSchema):
    """JSON Schema that says what the server really accepts and answers."""

    def int_schema(self, schema: core_schema.IntSchema) -> JsonSchemaValue:
        # Integers stay within I-JSON's exact range; a body's larger ones are refused.
        json_schema = super().int_schema(schema)
        if "maximum" not in json_schema and "exclusiveMaximum" not in json_schema:
            json_schema["maximum"] = MAX_INTEGER
        if "minimum" not in json_schema and "exclusiveMinimum" not in json_schema:
            json_schema["minimum"] = MIN_INTEGER
        return json_schema

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        # A field that may be left out but never be null (Omittable) defaults to None
        # internally; documenting `default: null` beside a schema without null is invalid.
        json_schema = super().default_schema(schema)
        left_out = "default" in json_schema and json_schema["default"] is None
        if left_out and not _admits_null(json_schema):
            del json_schema["default"]
        return json_schema

    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        # No text may carry a NUL character (shared.http.input_rules); a field with a
        # pattern of its own states its characters already.
        json_schema = super().str_schema(schema)
        if schema.get("strip_whitespace", self._config.str_strip_whitespace):
            return _stripped(json_schema)
        json_schema.setdefault("pattern", NO_NUL)
        return json_schema

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        # pydantic documents constrained keys as patternProperties, which alone lets any
        # other key through; validation refuses them, so the document says so.
        json_schema = super().dict_schema(schema)
        if "patternProperties" in json_schema:
            json_schema.setdefault("additionalProperties", False)
        return json_schema

    def time_schema(self, schema: core_schema.TimeSchema) -> JsonSchemaValue:
        # JSON Schema's `format: time` is RFC 3339's full-time, whose offset is required;
        # the API's times of day are local wall-clock times (LocalTime refuses an offset).
        return {"type": "string", "pattern": LOCAL_TIME}


def _stripped(json_schema: JsonSchemaValue) -> JsonSchemaValue:
    """The schema of a text the server strips before checking it: its lengths count what
    is left, so they become part of the pattern (JSON Schema's own count the raw text)."""
    surrounding = f"[{WHITE_SPACE}]*"
    own_pattern = json_schema.get("pattern")
    shortest = json_schema.pop("minLength", 0)
    longest = json_schema.pop("maxLength", None)
    if own_pattern is None:
        kept = _kept(shortest, longest)
    else:
        # What is left must match the field's own pattern and have the lengths: counted
        # by a lookahead over the text up to its last character that is not white space.
        upper = "" if longest is None else str(longest)
        counted = rf"(?=[^\x00]{{{shortest},{upper}}}(?<![{WHITE_SPACE}]){surrounding}$)"
        kept = counted + "(?:" + own_pattern.removeprefix("^").removesuffix("$") + ")"
    return {**json_schema, "pattern": f"^{surrounding}{kept}{surrounding}$"}


def _kept(shortest: int, longest: int | None) -> str:
    """A regular expression for what stripping keeps: ``shortest``..``longest`` characters,
    no NUL, neither first nor last one white space."""
    edge, middle = rf"[^{WHITE_SPACE}\x00]", r"[^\x00]"
    if longest == 0:
        return ""
    upper = "" if longest is None else str(longest - 2)
    if longest == 1:
        kept = edge
    elif shortest <= 1:
        kept = f"{edge}(?:{middle}{{0,{upper}}}{edge})?"
    else:
        kept = f"{edge}{middle}{{{shortest - 2},{upper}}}{edge}"
    return f"(?:{kept})?" if shortest == 0 else kept


def _admits_null(schema: JsonSchemaValue) -> bool:
    if schema.get("type") == "null" or "null" in (schema.get("type") or []):
        return True
    return any(_admits_null(branch) for branch in schema.get("anyOf", []))


def _component_schemas(endpoints: list[Endpoint]) -> dict[str, Any]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for endpoint in endpoints:
        if endpoint.body is not None:
            wanted.append((endpoint.body, "validation"))
        if endpoint.response is not None:
            wanted.append((endpoint.response, "serialization"))
        for inputs in (endpoint.query, endpoint.path_model):
            if inputs is not None:
                wanted.append((inputs, "validation"))
    refs, defs = models_json_schema(
        list(dict.fromkeys(wanted)), ref_template=REF, schema_generator=_DocumentedSchema
    )
    return {"refs": refs, "defs": defs.get("$defs", {})}


def _operation(endpoint: Endpoint, schemas: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": endpoint.summary,
        "description": endpoint.access.describe(),
        "operationId": endpoint.view.__name__,
        "tags": [endpoint.tag] if endpoint.tag else [],
        "x-roles": sorted(endpoint.access.roles),
        "parameters": _parameters(endpoint, schemas),
        "responses": _responses(endpoint, schemas),
        "security": [] if endpoint.access.public else [{"apiKey": []}],
    }
    if endpoint.body is not None:
        body_schema = schemas["refs"][(endpoint.body, "validation")]
        content: dict[str, Any] = {"schema": body_schema}
        examples = endpoint.body.model_json_schema().get("examples")
        if examples:
            content["example"] = examples[0]
        operation["requestBody"] = {
            "required": not endpoint.body_optional,
            "content": {"application/json": content},
        }
    if endpoint.upload is not None:
        operation["requestBody"] = _upload_body(endpoint.upload)
    return operation


_BINARY: dict[str, Any] = {
    "type": "string",
    "format": "binary",  # what Swagger UI looks for to offer a file picker
    "contentMediaType": "application/octet-stream",
}
# A download is served as the type its bytes showed at upload, one of those allowed.
_FILE_CONTENT = {media_type: {"schema": _BINARY} for media_type in sorted(ALLOWED_MEDIA_TYPES)}


def _upload_body(field: str) -> dict[str, Any]:
    binary = {**_BINARY, "description": "The file; its type is judged from its bytes"}
    schema = {"type": "object", "properties": {field: binary}, "required": [field]}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def _parameters(endpoint: Endpoint, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    path = _properties(endpoint.path_model, schemas)
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": path.get(name, {"type": "string"}),
        }
        for name in endpoint.path_params
    ]
    if endpoint.query is not None:
        required = set(schemas["defs"][endpoint.query.__name__].get("required", []))
        for name, schema in _properties(endpoint.query, schemas).items():
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "schema": _without_null(schema),
                }
            )
    return parameters


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is left out, never null: ``?status=`` is the empty string, which
    the parameter's own schema accepts or refuses (an enum refuses it, as the server does)."""
    branches = [branch for branch in schema.get("anyOf", []) if branch != {"type": "null"}]
    if not branches or len(branches) == len(schema["anyOf"]):
        return schema
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    if rest.get("default", "") is None:
        del rest["default"]
    # One branch left stands alone; several (a date-time or a date) stay a choice.
    return {**rest, **branches[0]} if len(branches) == 1 else {**rest, "anyOf": branches}


def _properties(model: type[BaseModel] | None, schemas: dict[str, Any]) -> dict[str, Any]:
    if model is None:
        return {}
    properties: dict[str, Any] = schemas["defs"][model.__name__]["properties"]
    return properties


def _responses(endpoint: Endpoint, schemas: dict[str, Any]) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "Success"}
    if endpoint.response is not None:
        schema = schemas["refs"][(endpoint.response, "serialization")]
        success["content"] = {"application/json": {"schema": schema}}
    if endpoint.file_response:
        success["content"] = _FILE_CONTENT
        success["headers"] = {
            "Content-Disposition": {"schema": {"type": "string"}},
            "X-Content-Type-Options": {"schema": {"type": "string", "const": "nosniff"}},
        }
    for media_type in endpoint.also_as:
        success.setdefault("content", {})[media_type] = {"schema": {"type": "string"}}
    responses: dict[str, Any] = {str(endpoint.status): success}
    if endpoint.file_response:
        responses["206"] = {"description": "The byte range asked for", "content": _FILE_CONTENT}
    statuses = set(endpoint.problems)
    if not endpoint.access.public:
        statuses |= {401, 403}
    if endpoint.body is not None or endpoint.upload is not None:
        statuses |= {400, 413, 415, 422}
    if endpoint.query is not None or endpoint.path_params:
        statuses.add(422)  # path parameters: a NUL character, or a path model's refusal
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for status in sorted(statuses):
        responses[str(status)] = {"description": _REASONS.get(status, "Error"), "content": problem}
    return responses
