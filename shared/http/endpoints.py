"""A small route registry: each endpoint declares its models and roles once, and that one
declaration drives request parsing, authorization, the response and the OpenAPI document."""

import functools
import re
import types
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError
from pydantic_core import from_json, to_json

from shared.auth import Access, Principal
from shared.errors import DomainError
from shared.http.appkeys import CORRELATION_ID, KEYS, PRINCIPAL, RATE_LIMITER, TRACEPARENT
from shared.http.idempotent import idempotent
from shared.http.input_rules import check_json, check_texts
from shared.http.limits import MAX_INTEGER, MIN_INTEGER
from shared.http.problems import (
    BadRequest,
    Forbidden,
    InvalidInput,
    Problem,
    Unauthorized,
    UnsupportedMediaType,
)
from shared.http.uploads import file_part
from shared.idempotency import forget_uncommitted_claim
from shared.mongo import retrying_transactions
from shared.platform import Trace

View = Callable[..., Awaitable[Any]]
M = typing.TypeVar("M", bound=BaseModel)
_PATH_PARAM = re.compile(r"{(\w+)}")


@dataclass
class Reply:
    """A view's answer when it needs a status or headers other than the endpoint's defaults."""

    body: BaseModel | None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    view: View
    summary: str
    access: Access
    body: type[BaseModel] | None = None
    body_optional: bool = False
    """A request without a body stands for an empty object (all of the body's defaults)."""
    query: type[BaseModel] | None = None
    path_model: type[BaseModel] | None = None
    """Validates (and documents) the path parameters; without it they are plain strings."""
    response: type[BaseModel] | None = None
    also_as: tuple[str, ...] = ()
    """Media types the view may answer with instead of JSON, for an ``Accept`` that asks for
    one (``text/csv``, ``text/calendar``): the view returns that representation itself."""
    status: int = 200
    problems: tuple[int, ...] = ()
    """Problem statuses this endpoint can answer besides the ones every endpoint has."""
    rate_limited: bool = False
    """Open to the public: a token bucket per client address guards it (429)."""
    tag: str = ""
    """The group it is listed under in the docs."""
    upload: str | None = None
    """The multipart/form-data part that carries a file: the view gets it as ``upload``,
    a stream it reads piece by piece (the body limit does not apply; the view sets its own)."""
    file_response: bool = False
    """It answers with a file's bytes (and honours Range), not with JSON."""
    replay: View | None = None
    """For a POST whose answer holds a secret that is never stored: answers a retry with the
    same ``Idempotency-Key`` anew, given the subject of the change the first one made."""

    @property
    def path_params(self) -> list[str]:
        return _PATH_PARAM.findall(self.path)


ErrorMap = Mapping[type[DomainError], type[Problem]]


class ApiRoutes:
    """A service's endpoints, and the one place its domain errors map to problems."""

    def __init__(self, tag: str, errors: ErrorMap | None = None) -> None:
        self.tag = tag
        self.errors = dict(errors or {})
        self.endpoints: list[Endpoint] = []

    def route(self, method: str, path: str, **spec: Any) -> Callable[[View], View]:
        def register(view: View) -> View:
            self.endpoints.append(
                Endpoint(method=method, path=path, view=view, tag=self.tag, **spec)
            )
            return view

        return register

    def get(self, path: str, **spec: Any) -> Callable[[View], View]:
        return self.route("GET", path, **spec)

    def post(self, path: str, **spec: Any) -> Callable[[View], View]:
        return self.route("POST", path, **spec)

    def patch(self, path: str, **spec: Any) -> Callable[[View], View]:
        return self.route("PATCH", path, **spec)

    def put(self, path: str, **spec: Any) -> Callable[[View], View]:
        return self.route("PUT", path, **spec)

    def delete(self, path: str, **spec: Any) -> Callable[[View], View]:
        return self.route("DELETE", path, **spec)

    def install(self, app: web.Application) -> None:
        for endpoint in self.endpoints:
            app.router.add_route(endpoint.method, endpoint.path, self._adapt(endpoint))

    def _adapt(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            if endpoint.rate_limited:
                request.app[RATE_LIMITER].check(request)
            await _authorize(request, endpoint.access)
            check_texts(request.match_info.items(), "path")
            arguments: dict[str, Any] = {}
            if endpoint.path_model is not None:
                arguments["path"] = _validated(
                    endpoint.path_model, dict(request.match_info), "path"
                )
            if endpoint.query is not None:
                arguments["query"] = parse_query(request, endpoint.query)
            if endpoint.body is not None:
                arguments["body"] = await _body_of(request, endpoint)
            if endpoint.upload is not None:
                # A streamed upload is read once: no second run, no idempotent replay.
                arguments["upload"] = await file_part(request, endpoint.upload)
                return await self._answer(endpoint, endpoint.view, request, arguments, once=True)

            async def run() -> web.StreamResponse:
                return await self._answer(endpoint, endpoint.view, request, arguments)

            async def replay(subject: str) -> web.StreamResponse:
                assert endpoint.replay is not None
                return await self._answer(endpoint, endpoint.replay, request, {"subject": subject})

            return await idempotent(request, run, replay if endpoint.replay else None)

        return handle

    async def _answer(
        self,
        endpoint: Endpoint,
        view: View,
        request: web.Request,
        arguments: dict[str, Any],
        once: bool = False,
    ) -> web.StreamResponse:
        """Run the view (again, while MongoDB asks for the transaction to be retried)."""
        try:
            if once:
                result = await view(request, **arguments)
            else:

                async def attempt() -> Any:
                    forget_uncommitted_claim()
                    return await view(request, **arguments)

                result = await retrying_transactions(attempt)
        except DomainError as error:
            raise self._problem(error) from error
        if isinstance(result, web.StreamResponse):
            return result  # a representation of its own, such as CSV
        reply = result if isinstance(result, Reply) else Reply(result)
        return json_response(reply.body, reply.status or endpoint.status, reply.headers)

    def _problem(self, error: DomainError) -> Problem:
        for kind in type(error).__mro__:
            problem = self.errors.get(kind)
            if problem is not None:
                return problem(error.detail, **error.context)
        raise error  # an unmapped domain error is a bug: a 500, logged


async def _authorize(request: web.Request, access: Access) -> None:
    if access.public:
        return
    principal = await _authenticate(request)
    if principal.role not in access.roles:
        raise Forbidden(f"the {principal.role} role may not call this endpoint")
    if access.owner is not None:
        role, param = access.owner
        if principal.role is role and principal.scope != request.match_info[param]:
            raise Forbidden(f"a {role} key acts only for its own {param}", field=f"path.{param}")
    request[PRINCIPAL] = principal


def bearer_key(request: web.Request) -> str | None:
    """The key of ``Authorization: Bearer <key>`` (the scheme in any case, RFC 9110 §11.1),
    the one way a key is sent, as the OpenAPI documents say."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


async def _authenticate(request: web.Request) -> Principal:
    plaintext = bearer_key(request)
    if not plaintext:
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    principal = await request.app[KEYS].authenticate(plaintext)
    if principal is None:
        raise Unauthorized("the API key is unknown or revoked")
    return principal


def principal_of(request: web.Request) -> Principal:
    """The authenticated caller (endpoints that are not public always have one)."""
    return request[PRINCIPAL]


def trace_of(request: web.Request) -> Trace:
    """The request's correlation, trace context and caller, for the events it causes."""
    principal = request.get(PRINCIPAL)
    return Trace(
        correlation_id=request[CORRELATION_ID],
        traceparent=request[TRACEPARENT],
        actor=principal.name if principal is not None else "anonymous",
        person_id=principal.person_id if principal is not None else None,
        person_name=principal.display_name if principal is not None else None,
        key_id=principal.key_id if principal is not None else None,
    )


def parse_query(request: web.Request, model: type[M]) -> M:
    """Validate the query string; list-typed fields take repeated parameters (?tag=a&tag=b)."""
    check_texts(request.query.items(), "query")
    raw: dict[str, Any] = {}
    for name in request.query:
        values = request.query.getall(name)
        raw[name] = values if _is_list_field(model, name) else values[-1]
    return _validated(model, raw, "query")


def _validated(model: type[M], raw: dict[str, Any], location: str) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise InvalidInput.from_validation(error, location) from None


async def _body_of(request: web.Request, endpoint: Endpoint) -> BaseModel:
    assert endpoint.body is not None
    if endpoint.body_optional and not request.body_exists:
        return endpoint.body.model_validate({})
    return await parse_body(request, endpoint.body)


async def parse_body(request: web.Request, model: type[M]) -> M:
    raw = await request.read()  # over client_max_size: 413, rendered by the middleware
    if not raw.strip():
        # No body at all: name the fields it needs ("reason is required"), not the JSON.
        return _validated_body(model, {})
    if request.content_type != "application/json":
        raise UnsupportedMediaType(
            f"send the body as application/json, not {request.content_type!r}"
        )
    try:
        data = from_json(raw, allow_inf_nan=False)  # big integers stay exact, unlike orjson
    except ValueError as error:
        raise BadRequest(f"the body is not valid JSON: {error}") from None
    check_json(data, "body")
    return _validated_body(model, data)


def _validated_body(model: type[M], data: object) -> M:
    try:
        # Strict: what the documented schema refuses (0 for false, "5" for 5) is refused
        # here too; JSON's own forms of dates, times and enum values still parse.
        body = to_json(_integral(data, "body"))
        return model.model_validate_json(body, strict=_strict_json(model))
    except ValidationError as error:
        raise InvalidInput.from_validation(error, "body") from None


@functools.cache
def _strict_json(model: type[BaseModel]) -> bool:
    """Strict, unless a validator runs before the model's fields: pydantic then hands them
    Python values, and strict mode would refuse "2027-04-01" for a date. Such a model is
    validated as pydantic's lax mode does (the contract suite holds it to its schema)."""
    return not _BEFORE_FIELDS.search(repr(model.__pydantic_core_schema__))


_BEFORE_FIELDS = re.compile(r"'type': 'function-(before|wrap)'")


def _integral(value: Any, field: str) -> Any:
    """JSON numbers are values: 5.0 is the integer 5, as JSON Schema's `integer` says, so
    strict validation gets it as 5 (a float field still takes it). An integer past the
    documented I-JSON range is refused here, naming its field, before any store sees it."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_INTEGER:
        return int(value)
    if isinstance(value, int) and not MIN_INTEGER <= value <= MAX_INTEGER:
        bound = "less_than_equal" if value > 0 else "greater_than_equal"
        message = f"must be between {MIN_INTEGER} and {MAX_INTEGER}"
        raise InvalidInput([{"field": field, "message": message, "type": bound}])
    # Recursion is bounded: from_json refuses a body nested deeper than a few hundred levels.
    if isinstance(value, list):
        return [_integral(item, f"{field}.{index}") for index, item in enumerate(value)]
    if isinstance(value, dict):
        return {key: _integral(item, f"{field}.{key}") for key, item in value.items()}
    return value


def _is_list_field(model: type[BaseModel], name: str) -> bool:
    info = model.model_fields.get(name)
    if info is None:
        return False
    annotation = info.annotation
    candidates = typing.get_args(annotation) if _is_union(annotation) else (annotation,)
    return any(typing.get_origin(candidate) in (list, set, frozenset) for candidate in candidates)


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def json_response(
    body: BaseModel | None, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    if body is None:
        return web.Response(status=status, headers=headers)
    return web.Response(
        status=status,
        body=body.model_dump_json().encode(),  # bytes, so an idempotent answer can keep it
        content_type="application/json",
        headers=headers,
    )
