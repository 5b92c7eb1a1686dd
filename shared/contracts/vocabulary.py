"""Shared vocabularies of the published contracts: the ASCN taxonomy, countries, languages."""

import json
from dataclasses import dataclass
from datetime import time
from functools import cache
from importlib import resources
from typing import Annotated, Any

from pydantic import AfterValidator, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

ASEAN_STATES = frozenset({"BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN"})
COUNTRIES_OF_EXPERIENCE = ASEAN_STATES | {"JP"}
# The time zone of each member state's capital, where its embassy desk sits; the default
# zone of its cities (a city in another zone says so).
CAPITAL_TIME_ZONES = {
    "BN": "Asia/Brunei",
    "KH": "Asia/Phnom_Penh",
    "ID": "Asia/Jakarta",
    "LA": "Asia/Vientiane",
    "MY": "Asia/Kuala_Lumpur",
    "MM": "Asia/Yangon",
    "PH": "Asia/Manila",
    "SG": "Asia/Singapore",
    "TH": "Asia/Bangkok",
    "VN": "Asia/Ho_Chi_Minh",
}
# ISO 639-1 codes of the languages the desk works in: English, Japanese, the member states'.
LANGUAGES = frozenset({"en", "ja", "id", "km", "lo", "ms", "my", "fil", "tl", "th", "vi", "zh"})
# Each country's national language (Singapore's working one), for people and contacts who
# did not say which language they read.
NATIONAL_LANGUAGES = {
    "BN": "ms", "KH": "km", "ID": "id", "LA": "lo", "MY": "ms", "MM": "my",
    "PH": "fil", "SG": "en", "TH": "th", "VN": "vi", "JP": "ja",
}  # fmt: skip


@cache
def _taxonomy() -> dict[str, Any]:
    text = resources.files("shared.contracts").joinpath("taxonomy.json").read_text("utf-8")
    taxonomy: dict[str, Any] = json.loads(text)
    return taxonomy


def focus_areas() -> frozenset[str]:
    """The six ASCN focus areas."""
    return frozenset(_taxonomy()["focus_areas"])


def solution_tags() -> frozenset[str]:
    """Every solution tag of every focus area."""
    return frozenset(tag for area in _taxonomy()["focus_areas"].values() for tag in area["tags"])


def inquiry_categories() -> frozenset[str]:
    """The desk's inquiry categories (partner search, financing, ...)."""
    return frozenset(_taxonomy()["inquiry_categories"])


def taxonomy_document() -> dict[str, Any]:
    """The taxonomy as published (a copy of ../shared/data/taxonomy.json)."""
    return _taxonomy()


@dataclass(frozen=True)
class MemberOf:
    """``Annotated[str, MemberOf(values, "what")]``: one of a vocabulary, listed as the
    JSON schema's ``enum`` so that the documented schema and the validation agree."""

    values: frozenset[str]
    what: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["enum"] = sorted(self.values)
        return json_schema

    def _check(self, value: str) -> str:
        if value not in self.values:
            # pydantic's own type for a value outside an enum; the message names the vocabulary.
            raise PydanticCustomError(
                "enum", "unknown {what} {value}", {"what": self.what, "value": repr(value)}
            )
        return value


def unique(values: list[str]) -> list[str]:
    """A list validator: no value twice."""
    if len(set(values)) != len(values):
        raise ValueError("values must be unique")
    return values


@dataclass(frozen=True)
class _Unique:
    """``Annotated[list[X], UNIQUE]``: no value twice, and the JSON schema says so
    (``uniqueItems``), so that the documented schema and the validation agree."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(unique, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["uniqueItems"] = True
        return json_schema


UNIQUE = _Unique()


# An e-mail address as people type it. The excluded characters are spelled out, since `\s`
# means more characters in Python's regular expressions than in a JSON Schema's (ECMA).
_NOT_IN_EMAIL = r"@\x00-\x20\x7f"
Email = Annotated[
    str,
    Field(
        pattern=rf"^[^{_NOT_IN_EMAIL}]+@[^{_NOT_IN_EMAIL}]+\.[^{_NOT_IN_EMAIL}]+$", max_length=254
    ),
]


def _local(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a local time of day, without an offset")
    return value


LocalTime = Annotated[time, AfterValidator(_local)]
"""A wall-clock time of day ("09:00") in a zone given beside it, never with an offset."""

# Request fields that must name a known value; the message names the unknown one.
FocusArea = Annotated[str, MemberOf(focus_areas(), "focus area")]
SolutionTag = Annotated[str, MemberOf(solution_tags(), "solution tag")]
Country = Annotated[str, MemberOf(COUNTRIES_OF_EXPERIENCE, "country (ASEAN member or JP)")]
Language = Annotated[str, MemberOf(LANGUAGES, "language code")]
AseanState = Annotated[str, MemberOf(ASEAN_STATES, "ASEAN member state")]
