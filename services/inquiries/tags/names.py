"""Tag names and the change of an inquiry's tags, as callers send them. Pure.

A name is normalised before it is checked, so "Flood Control", "flood_control" and
"FLOOD-CONTROL" are one tag: ``flood-control``.
"""

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from shared.contracts.vocabulary import UNIQUE

_SEPARATORS = re.compile(r"[\s_\-]+")


def normalised(name: str) -> str:
    """NFKC (full-width letters become ASCII), case-folded, separators as one hyphen."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return _SEPARATORS.sub("-", folded).strip("-")


_TAG = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def tag_name(name: str) -> str:
    """The normalised name; refused (by name) if nothing but letters, digits and hyphens
    between words is left."""
    normal = normalised(name)
    if len(normal) > 40 or _TAG.fullmatch(normal) is None:
        raise ValueError(
            f"{name!r} is no tag name: up to 40 letters and digits, words joined by hyphens"
        )
    return normal


# The schema states only the length: what a name may hold is checked once normalised, so
# "Flood Control" is as valid as "flood-control".
TagName = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(tag_name)]
TagNames = Annotated[list[TagName], Field(max_length=20), UNIQUE]


class TagChange(BaseModel):
    """Tags to add to an inquiry and tags to take off it."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"add": ["flood-control"]}]}
    )

    add: TagNames = []
    remove: TagNames = []

    @model_validator(mode="after")
    def _something(self) -> "TagChange":
        if not self.add and not self.remove:
            raise ValueError("name tags to add, to remove, or both")
        if both := sorted(set(self.add) & set(self.remove)):
            raise ValueError(f"{', '.join(both)} both added and removed")
        return self
