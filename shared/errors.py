"""The base of every service's domain errors; each service maps them to problems in one place."""

from typing import Any

from pydantic import ValidationError


class DomainError(Exception):
    """A domain rule said no. ``context`` becomes extension members of the problem body."""

    def __init__(self, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context = context


def describe(error: BaseException) -> str:
    """``Type: message`` for logs and stored failures, without the input that failed.

    pydantic repeats each failing ``input_value`` in its message, and that input may be a
    person's e-mail or phone number; a validation error is described by where (loc), what
    (type) and why (msg) only.
    """
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or '(root)'}: {item['msg']}"
            f" [{item['type']}]"
            for item in error.errors(include_url=False, include_input=False, include_context=False)
        )
        return f"ValidationError: {error.error_count()} error(s) in {error.title}: {problems}"
    return f"{type(error).__name__}: {error}"
