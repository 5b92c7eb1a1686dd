"""What an operator may not read in a record, and what nobody may. Pure: no I/O.

Operators see contact details masked wherever they may hide: a contact person's fields,
fields named ``email`` or ``phone``, and e-mail addresses and phone numbers inside any
text (payload strings and field names, a body that is no JSON, header names and values,
record keys, envelope attributes, error texts;
``shared.masking`` says what looks like one). Admins see everything, except an API key's
hash, which nobody sees: it is removed before a record is stored.
"""

import re
from typing import Any, Protocol, Self, TypeVar

from shared.auth import Principal, Role
from shared.masking import MASK, mask_text

CONTACT_FIELDS = frozenset({"contact", "contact_person"})
PERSONAL_FIELDS = frozenset({"email", "phone"})
SECRET_FIELDS = frozenset({"key_hash"})

_SECRET_NAMES = "|".join(sorted(SECRET_FIELDS))
_SECRET_IN_TEXT = re.compile(rf"""(["']?(?:{_SECRET_NAMES})["']?\s*[:=]\s*)["']?[^"',}}\s]*["']?""")


class Maskable(Protocol):
    def masked(self) -> Self: ...


M = TypeVar("M", bound=Maskable)


def shown_to(principal: Principal, item: M) -> M:
    """What the caller may read: everything for admins, contact details masked otherwise."""
    return item if principal.role is Role.ADMIN else item.masked()


def may_look_up(principal: Principal, *values: str | None) -> bool:
    """Whether the caller may find records by these values: an operator may not find them
    by contact details (an address as a subject or a payload's id), though shown masked."""
    return principal.role is Role.ADMIN or all(v is None or mask_text(v) == v for v in values)


def mask_personal_data(value: Any, inside_contact: bool = False) -> Any:
    """Any JSON-like value with contact details masked (see the module's docstring)."""
    if isinstance(value, dict):
        return {
            mask_text(name): _mask_field(name, inner, inside_contact)
            for name, inner in value.items()
        }
    if isinstance(value, list):
        return [mask_personal_data(item, inside_contact) for item in value]
    if isinstance(value, str):
        return MASK if inside_contact else mask_text(value)
    return MASK if inside_contact and _is_number(value) else value


def _mask_field(name: str, value: Any, inside_contact: bool) -> Any:
    # A phone number may be written as a JSON number (9012345678): shown, and searched.
    if name in PERSONAL_FIELDS and (isinstance(value, str) or _is_number(value)):
        return MASK
    return mask_personal_data(value, inside_contact or name in CONTACT_FIELDS)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def without_secrets(value: Any) -> Any:
    """A JSON-like value with every secret field (an API key's hash) masked, at any depth."""
    if isinstance(value, dict):
        return {
            name: MASK if name in SECRET_FIELDS else without_secrets(inner)
            for name, inner in value.items()
        }
    if isinstance(value, list):
        return [without_secrets(item) for item in value]
    return value


def text_without_secrets(text: str) -> str:
    """A body that is no JSON, with any ``"key_hash": "…"`` it spells out masked."""
    return _SECRET_IN_TEXT.sub(lambda found: f"{found.group(1)}{MASK}", text)
