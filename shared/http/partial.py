"""Partial updates (PATCH): a field may be left out to keep it, but not sent as null."""

import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

T = TypeVar("T")


@dataclass(frozen=True)
class _NeverNull:
    """Validates ``X | None`` as ``X`` alone, with null refused first: the schema is X's
    (no null), and an invalid X is reported once, not once more as "should be null"."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        present = [arg for arg in typing.get_args(source) if arg is not types.NoneType]
        (value_type,) = present
        return core_schema.no_info_before_validator_function(
            _not_null, handler.generate_schema(value_type)
        )


def _not_null(value: Any) -> Any:
    # Absent means "keep"; an explicit null would erase a value the resource must have.
    if value is None:
        raise ValueError("may be left out, but not set to null")
    return value


Omittable = Annotated[T | None, _NeverNull()]
"""``field: Omittable[X] = None``: optional in the body, never null; the schema says so."""
