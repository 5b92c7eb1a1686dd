"""Rules every caller-supplied value obeys before a model sees it, checked once for every
endpoint: no NUL character in any text (nor, in a URL, bytes that are no UTF-8), no number
too large to be finite (``1e400`` reads as infinity, which JSON cannot carry on: every
event with it would be dead-lettered by its consumers), and no map key MongoDB would read
as an operator (``$…``) or a path (``a.b``) if it ever became a field name."""

import math
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from shared.http.problems import ONE_LINE, InvalidInput

__all__ = ["ONE_LINE", "check_json", "check_texts"]

NUL = "\x00"
REPLACEMENT = "\ufffd"
"""What decoding puts in place of bytes that are not UTF-8."""
FIELD_NAME_PATTERN = r"^[^$.\x00][^.\x00]*$"
FIELD_NAMES: dict[str, Any] = {"propertyNames": {"pattern": FIELD_NAME_PATTERN}}
"""JSON Schema of a caller's map (``Field(json_schema_extra=FIELD_NAMES)``): says in the
documents what the check below enforces."""


def check_json(value: Any, location: str) -> None:
    """Raise InvalidInput naming every NUL-carrying text and unsafe field name in a JSON value."""
    errors = list(_json_errors(value, location))
    if errors:
        raise InvalidInput(errors)


def check_texts(pairs: Iterable[tuple[str, str]], location: str) -> None:
    """Raise InvalidInput naming each (name, value) pair, such as query or path parameters,
    whose name or value carries a NUL character or bytes that are no UTF-8 (the URL's
    percent-decoding turns those into U+FFFD, which would then match nothing, or anything,
    in silence)."""
    errors = [
        error
        for name, value in pairs
        if (error := _text_error(f"{location}.{name}", name + value)) is not None
    ]
    if errors:
        raise InvalidInput(errors)


def _text_error(field: str, text: str) -> dict[str, str] | None:
    if NUL in text:
        return _error(field, "NUL characters are not allowed", "nul_character")
    if REPLACEMENT in text:
        return _error(field, "percent-encoded bytes that are not UTF-8", "not_utf8")
    return None


def _json_errors(value: Any, location: str) -> Iterator[dict[str, str]]:
    # Iterative: a deeply nested body must not exhaust the interpreter's recursion limit.
    pending = deque([(location, value)])
    while pending:
        path, item = pending.popleft()
        if isinstance(item, str) and NUL in item:
            yield _error(path, "NUL characters are not allowed in text", "nul_character")
        elif isinstance(item, float) and not math.isfinite(item):
            yield _error(path, "a number too large to be finite", "finite_number")
        elif isinstance(item, dict):
            for key, child in item.items():
                refusal = _field_name_refusal(key)
                if refusal is None:
                    pending.append((f"{path}.{key}", child))
                else:
                    yield _error(f"{path}.{key}", refusal, "unsafe_field_name")
        elif isinstance(item, list):
            pending.extend((f"{path}.{index}", child) for index, child in enumerate(item))


def _field_name_refusal(name: str) -> str | None:
    if NUL in name:
        return "NUL characters are not allowed in a field name"
    if name.startswith("$"):
        return "a field name may not begin with '$'"
    if "." in name:
        return "a field name may not contain '.'"
    return None


def _error(field: str, message: str, kind: str) -> dict[str, str]:
    return {"field": field, "message": message, "type": kind}
