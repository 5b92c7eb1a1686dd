"""The base of every service's domain errors; each service maps them to problems in one place."""

from typing import Any


class DomainError(Exception):
    """A domain rule said no. ``context`` becomes extension members of the problem body."""

    def __init__(self, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context = context
