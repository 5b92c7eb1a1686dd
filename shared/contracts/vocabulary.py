"""Shared vocabularies of the published contracts: the ASCN taxonomy, countries, languages."""

import json
from functools import cache
from importlib import resources
from typing import Annotated, Any

from pydantic import AfterValidator

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


def _member_of(vocabulary: frozenset[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if value not in vocabulary:
            raise ValueError(f"unknown {what} {value!r}")
        return value

    return AfterValidator(check)


def unique(values: list[str]) -> list[str]:
    """A list validator: no value twice."""
    if len(set(values)) != len(values):
        raise ValueError("values must be unique")
    return values


# Request fields that must name a known value; the message names the unknown one.
FocusArea = Annotated[str, _member_of(focus_areas(), "focus area")]
SolutionTag = Annotated[str, _member_of(solution_tags(), "solution tag")]
Country = Annotated[str, _member_of(COUNTRIES_OF_EXPERIENCE, "country (ASEAN member or JP)")]
Language = Annotated[str, _member_of(LANGUAGES, "language code")]
