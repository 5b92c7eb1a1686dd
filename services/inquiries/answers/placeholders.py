"""The placeholders of answer templates, and filling them in. Pure.

Plain substitution of ``{name}`` from a fixed set: no template language, so nothing in a
template can reach an attribute, call anything or loop. ``{{`` and ``}}`` write a brace.
"""

import re
from collections.abc import Mapping
from typing import Literal, get_args

Placeholder = Literal["requester_name", "subject", "officer", "deadline"]
PLACEHOLDERS: tuple[str, ...] = get_args(Placeholder)
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    """The ``{names}`` in ``text`` that are not placeholders, in order of appearance."""
    found = (match.group(1) for match in _TOKEN.finditer(text) if match.group(1) is not None)
    return list(dict.fromkeys(name for name in found if name not in PLACEHOLDERS))


def known_placeholders(text: str) -> str:
    """A validator: refuse a text naming an unknown placeholder, by name."""
    if unknown := unknown_placeholders(text):
        names = ", ".join(f"{{{name}}}" for name in unknown)
        allowed = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
        raise ValueError(f"unknown placeholder {names}; use {allowed} (write {{{{ for a brace)")
    return text


def filled(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each placeholder replaced by its value (a validated text names no other)."""

    def one(match: re.Match[str]) -> str:
        token, name = match.group(0), match.group(1)
        if name is None:
            return token[0]
        return values[name]

    return _TOKEN.sub(one, text)
