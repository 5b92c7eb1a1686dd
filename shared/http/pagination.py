"""Cursor pagination: opaque cursors over a time-ordered id, newest first."""

import base64
import binascii
from collections.abc import Callable
from typing import Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field

from shared.http.problems import InvalidInput

T = TypeVar("T")


class PageQuery(BaseModel):
    """The paging part of every list query; unknown parameters are rejected by name."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )


def page_of(found: list[T], limit: int, id_of: Callable[[T], str]) -> Page[T]:
    """A page from ``limit + 1`` rows read newest first: the extra row only says more follow."""
    items = found[:limit]
    more = len(found) > limit
    return Page(items=items, next_cursor=encode_cursor(id_of(items[-1])) if more else None)


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"after": last_id})).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The id the page starts after; a tampered cursor is a 422 naming ``query.cursor``."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        after = orjson.loads(base64.urlsafe_b64decode(padded))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidInput.single("query.cursor", "not a cursor this API returned") from None
    if not isinstance(after, str):
        raise InvalidInput.single("query.cursor", "not a cursor this API returned")
    return after
