"""Cursor pagination: opaque cursors over an ordered position, checked in one place.

A cursor is ``base64url({"after": position})``. Every list query inherits ``PageQuery``,
whose validation decodes the cursor and checks the position against the shape the list
orders by (``position``), so a tampered, huge, negative or non-numeric cursor is a 422
naming ``query.cursor`` before any query runs, in every service.
"""

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

T = TypeVar("T")
CURSOR_MAX_LENGTH = 200


@dataclass(frozen=True)
class Position:
    """The shape of what a list is ordered by; a cursor naming anything else is refused."""

    pattern: re.Pattern[str]

    def check(self, after: object) -> str:
        if not isinstance(after, str) or self.pattern.fullmatch(after) is None:
            raise _not_a_cursor()
        return after


TIME_ORDERED_ID = Position(re.compile(r"[0-9a-f]{24}"))
"""The ids of ``shared.mongo.new_id``: lists ordered by creation."""
SLUG = Position(re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*", re.ASCII))
"""Readable ids such as city slugs (``da-nang``)."""
OFFSET = Position(re.compile(r"0|[1-9][0-9]{0,5}", re.ASCII))
"""An index into a short list ranked in memory (a proposal's matches): 0 to 999,999."""


class PageQuery(BaseModel):
    """The paging part of every list query; unknown parameters are rejected by name."""

    model_config = ConfigDict(extra="forbid")
    position: ClassVar[Position] = TIME_ORDERED_ID

    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(
        default=None,
        max_length=CURSOR_MAX_LENGTH,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The `next_cursor` of the page before; leave out for the first page",
    )

    @field_validator("cursor")
    @classmethod
    def _a_cursor_this_list_returned(cls, cursor: str | None) -> str | None:
        if cursor is not None:
            decode_cursor(cursor, cls.position)
        return cursor

    @property
    def after(self) -> str | None:
        """The position the page starts after; None for the first page."""
        return None if self.cursor is None else decode_cursor(self.cursor, self.position)


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


def window(ranked: list[T], query: PageQuery) -> Page[T]:
    """A page of a whole list ranked in memory; the cursor is an ``OFFSET`` into it."""
    start = int(query.after or 0)
    end = start + query.limit
    return Page(
        items=ranked[start:end], next_cursor=encode_cursor(str(end)) if end < len(ranked) else None
    )


def encode_cursor(position: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"after": position})).decode().rstrip("=")


def decode_cursor(cursor: str, position: Position = TIME_ORDERED_ID) -> str:
    """The position a cursor names; anything this API did not return is refused."""
    if len(cursor) > CURSOR_MAX_LENGTH:
        raise _not_a_cursor()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        document = orjson.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        raise _not_a_cursor() from None
    if not isinstance(document, dict) or set(document) != {"after"}:
        raise _not_a_cursor()
    return position.check(document["after"])


def _not_a_cursor() -> PydanticCustomError:
    # Its own error type: a schema can say a cursor is a string, not that this API made it.
    return PydanticCustomError("invalid_cursor", "not a cursor this list returned")
