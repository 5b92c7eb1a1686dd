"""RFC 9457 problem details: every error a client sees is ``application/problem+json``."""

from http import HTTPStatus
from typing import Any

import orjson
from aiohttp import web
from pydantic import ValidationError
from pydantic_core import ErrorDetails

PROBLEM_CONTENT_TYPE = "application/problem+json"

_CONTROLS = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
# Characters that show nothing: white space, and the format and filler characters a name
# made only of would look empty in every list (zero-width space, joiners, word joiner,
# BOM, soft hyphen, variation selectors, Hangul fillers, braille blank).
_INVISIBLE = (
    r"\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    r"\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0"
)
ONE_LINE = rf"^([^{_CONTROLS}]*[^{_CONTROLS}{_INVISIBLE}][^{_CONTROLS}]*)?$"
"""The pattern of a name, title or subject (``Field(pattern=ONE_LINE)``, re-exported by
``input_rules``): one line with something to see, no control characters. Such texts become
lines of mails, lists and calendars, where a line break (C0, NEL, U+2028/9) would start a
line the caller wrote (a fake "Bcc:" or "Country:" in a staff mail's body), a direction
override would show a name reversed ("gpj.exe" as "exe.jpg"), and a name of zero-width
characters would be a blank row no one can tell apart. Empty stays the length limits'
business. Here because a refusal's message names it."""


class Problem(Exception):
    """A typed client error; raise a subclass, the middleware renders it."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions
        self.headers: dict[str, str] = {}


class BadRequest(Problem):
    status, title = 400, "Bad request"


class Unauthorized(Problem):
    status, title = 401, "Authentication required"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.headers = {"WWW-Authenticate": 'Bearer realm="jamp"'}


class Forbidden(Problem):
    status, title = 403, "Forbidden"


class NotFound(Problem):
    status, title = 404, "Not found"


class Conflict(Problem):
    status, title = 409, "Conflict"


class PayloadTooLarge(Problem):
    status, title = 413, "Payload too large"


class UnsupportedMediaType(Problem):
    status, title = 415, "Unsupported media type"


class RangeNotSatisfiable(Problem):
    status, title = 416, "Range not satisfiable"

    def __init__(self, detail: str, size: int) -> None:
        super().__init__(detail)
        self.headers = {"Content-Range": f"bytes */{size}"}


class PreconditionRequired(Problem):
    status, title = 428, "Precondition required"


class TooManyRequests(Problem):
    status, title = 429, "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": str(retry_after)}


class ServiceUnavailable(Problem):
    """A server this one depends on did not answer: try again shortly."""

    status, title = 503, "Service unavailable"

    def __init__(self, detail: str, retry_after: int = 5, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.headers = {"Retry-After": str(retry_after)}


class InvalidInput(Problem):
    """422 naming every failing field, as ``errors: [{field, message, type}]``."""

    status, title = 422, "Invalid input"

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(_summary(errors), errors=errors)

    @classmethod
    def from_validation(cls, error: ValidationError, location: str) -> "InvalidInput":
        return cls(
            [
                {
                    "field": ".".join([location, *(str(part) for part in item["loc"])]),
                    "message": _message(item),
                    "type": item["type"],
                }
                for item in error.errors(include_url=False)
            ]
        )

    @classmethod
    def single(cls, field: str, message: str) -> "InvalidInput":
        return cls([{"field": field, "message": message, "type": "value_error"}])


def _message(item: ErrorDetails) -> str:
    if item["type"] == "missing" and item["loc"]:
        return f"{item['loc'][-1]} is required"
    if item["type"] == "string_pattern_mismatch" and item.get("ctx", {}).get("pattern") == ONE_LINE:
        return (
            "one line of visible text: no line breaks, tabs, control or direction-override "
            "characters, and not only invisible ones"
        )
    return item["msg"]


SUMMARISED_ERRORS = 5
"""The detail names this many errors; ``errors`` lists them all."""


def _summary(errors: list[dict[str, str]]) -> str:
    """Each error with its field and what is wrong with it: a client that shows only the
    detail still learns what to fix ("body.requester.city_id: no city 'atlantis' is
    known…", not "invalid value for body.requester.city_id")."""
    shown = [
        error["message"] if error["type"] == "missing" else f"{error['field']}: {error['message']}"
        for error in errors[:SUMMARISED_ERRORS]
    ]
    if len(errors) > SUMMARISED_ERRORS:
        shown.append(f"and {len(errors) - SUMMARISED_ERRORS} more (see errors)")
    return "; ".join(shown)


class InvalidReference(InvalidInput):
    """422 for a well-formed value that names nothing known (an unknown city, say)."""

    def __init__(self, detail: str, field: str) -> None:
        super().__init__([{"field": field, "message": detail, "type": "unknown_reference"}])


class InvalidValue(InvalidInput):
    """422 for one field whose value breaks a rule the schema cannot state (an empty file)."""

    def __init__(self, detail: str, field: str) -> None:
        super().__init__([{"field": field, "message": detail, "type": "value_error"}])


class RefusedByPolicy(InvalidInput):
    """422 for a well-formed value a security policy refuses (a private webhook target)."""

    def __init__(self, detail: str, field: str) -> None:
        super().__init__([{"field": field, "message": detail, "type": "refused_by_policy"}])


def problem_response(
    request: web.Request,
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> web.Response:
    """The problem answering ``request``, its path as the ``instance``."""
    return problem_json(status, title, detail, request.path, headers, **extensions)


def problem_json(
    status: int,
    title: str,
    detail: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> web.Response:
    """A problem response; without an ``instance`` where no request was read to name
    one (a request aiohttp's parser refused, see ``shared/http/server.py``)."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    body.update(extensions)
    return web.Response(
        status=status,
        body=orjson.dumps(body),
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


_TITLES = {400: BadRequest.title, 413: PayloadTooLarge.title}
"""The project's own titles; any other status is titled by its phrase."""


def problem_title(status: int) -> str:
    """The title of a problem of ``status``, worded as the project's other problems."""
    if status in _TITLES:
        return _TITLES[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "Error"
    return phrase[:1] + phrase[1:].lower()  # "Internal Server Error" as "Internal server error"
