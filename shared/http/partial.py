"""Partial updates (PATCH): a field may be left out to keep it, but not sent as null."""

import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

T = TypeVar("T")


@dataclass(frozen=True)
class _NeverNull:
    """Validates ``X | None`` as nullable X, then refuses the null: an invalid X is
    reported once (a union would add "should be null"), JSON input stays JSON for X
    (a before-validator would turn "2027-04-01" into a plain str that strict mode
    refuses), and the documented schema is X's alone."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        present = [arg for arg in typing.get_args(source) if arg is not types.NoneType]
        (value_type,) = present
        nullable = core_schema.nullable_schema(handler.generate_schema(value_type))
        return core_schema.no_info_after_validator_function(_not_null, nullable)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        after = typing.cast(core_schema.AfterValidatorFunctionSchema, schema)
        nullable = typing.cast(core_schema.NullableSchema, after["schema"])
        # The generator's own walk, not ``handler``: only it applies what annotations of X
        # add to X's schema (a vocabulary's ``enum``), which ``handler`` leaves out.
        generator = getattr(handler, "generate_json_schema", None)
        if generator is None:
            return handler(nullable["schema"])
        return typing.cast(JsonSchemaValue, generator.generate_inner(nullable["schema"]))


def _not_null(value: Any) -> Any:
    # Absent means "keep"; an explicit null would erase a value the resource must have.
    if value is None:
        raise ValueError("may be left out, but not set to null")
    return value


Omittable = Annotated[T | None, _NeverNull()]
"""``field: Omittable[X] = None``: optional in the body, never null; the schema says so."""
