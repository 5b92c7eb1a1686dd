"""Tag names and the change of an inquiry's tags, as callers send them. Pure.

A name is normalised before it is checked, so "Flood Control", "flood_control" and
"FLOOD-CONTROL" are one tag: ``flood-control``.
"""

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from shared.contracts.vocabulary import unique

_SEPARATORS = re.compile(r"[\s_\-]+")


def normalised(name: Any) -> Any:
    """NFKC (full-width letters become ASCII), case-folded, separators as one hyphen."""
    if not isinstance(name, str):
        return name
    folded = unicodedata.normalize("NFKC", name).casefold()
    return _SEPARATORS.sub("-", folded).strip("-")


TagName = Annotated[
    str,
    BeforeValidator(normalised),
    Field(min_length=1, max_length=40, pattern=r"^\w+(?:-\w+)*$"),
]
TagNames = Annotated[list[TagName], Field(max_length=20), AfterValidator(unique)]


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
