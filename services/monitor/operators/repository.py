"""The audit log: every operator action, who took it and on what."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from pymongo import DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.monitor.masking import mask_personal_data
from shared.clock import utc_now
from shared.contracts.identity import Actor
from shared.mongo import Document, new_id


class AuditEntry(BaseModel):
    id: str
    at: datetime
    actor: str = Field(description="The grant and key id that acted")
    by: Actor | None = Field(default=None, description="The person behind the key")
    action: str
    target: str
    details: dict[str, Any]

    def masked(self) -> "AuditEntry":
        """As an operator who is not an admin sees it: a discard's reason is free text."""
        return self.model_copy(update={"details": mask_personal_data(self.details)})


class AuditLog:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["audit"]

    async def record(
        self,
        by: Actor,
        action: str,
        target: str,
        details: dict[str, Any],
        session: AsyncClientSession,
    ) -> None:
        entry = {"_id": new_id(), "at": utc_now(), "actor": by.grant,
                 "by": by.model_dump(), "action": action, "target": target,
                 "details": details}  # fmt: skip
        await self.collection.insert_one(entry, session=session)

    async def list(self, after: str | None, limit: int) -> list[AuditEntry]:
        criteria: Document = {} if after is None else {"_id": {"$lt": after}}
        cursor = self.collection.find(criteria).sort("_id", DESCENDING).limit(limit + 1)
        return [AuditEntry.model_validate({**doc, "id": doc["_id"]}) async for doc in cursor]
