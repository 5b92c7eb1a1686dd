"""Shared vocabularies of the published contracts: the ASCN taxonomy, countries, languages."""

import json
from functools import cache
from importlib import resources
from typing import Any

ASEAN_STATES = frozenset({"BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN"})
COUNTRIES_OF_EXPERIENCE = ASEAN_STATES | {"JP"}
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


def taxonomy_document() -> dict[str, Any]:
    """The taxonomy as published (a copy of ../shared/data/taxonomy.json)."""
    return _taxonomy()
