"""Optimistic concurrency for aggregates: every change bumps ``version``, and a write
succeeds only if nobody else wrote since the version the writer read."""

from datetime import datetime
from typing import Any, ClassVar, Self

from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from shared.clock import utc_now
from shared.errors import DomainError
from shared.mongo import Document


class StaleVersion(DomainError):
    """The caller's version is not the stored one (each service maps it to a 409)."""


class Versioned(BaseModel):
    """An aggregate whose every change returns a new instance with the version bumped."""

    noun: ClassVar[str] = "record"
    """What the messages call it: "the company is at version 3"."""
    version: int
    updated_at: datetime

    def check_version(self, expected: int | None) -> None:
        """None means the caller sent ``If-Match: *``: any version will do."""
        if expected is not None and expected != self.version:
            raise StaleVersion(
                f"the {self.noun} is at version {self.version}, not {expected}",
                current_version=self.version,
            )

    def updated(self, changes: dict[str, Any]) -> tuple[Self, dict[str, Any]]:
        """The aggregate with the changes applied, and the changes that really differ."""
        current = self.model_dump(mode="json")
        effective = {name: value for name, value in changes.items() if current[name] != value}
        return self.bumped(effective), effective

    def bumped(self, changes: dict[str, Any]) -> Self:
        """The next version with ``changes`` applied; the same instance when there are none."""
        if not changes:
            return self
        data = {**self.model_dump(mode="json"), **changes}
        data.update(version=self.version + 1, updated_at=utc_now())
        return self.model_validate(data)


async def replace_versioned(
    collection: AsyncCollection[Document],
    document: Document,
    read_version: int,
    session: AsyncClientSession,
    noun: str,
) -> None:
    """Replace the stored document only if it is still at ``read_version``."""
    result = await collection.replace_one(
        {"_id": document["_id"], "version": read_version}, document, session=session
    )
    if result.matched_count != 1:
        raise StaleVersion(
            f"the {noun} changed while this request ran; read it again",
            current_version=read_version,
        )
