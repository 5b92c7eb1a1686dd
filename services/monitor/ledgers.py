"""The monitor's operational records: audit log, lag thresholds and alerts."""

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.monitor.alerts import Alert, GroupThreshold, Threshold
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
        entry = {"_id": new_id(), "at": datetime.now(UTC), "actor": by.grant,
                 "by": by.model_dump(), "action": action, "target": target,
                 "details": details}  # fmt: skip
        await self.collection.insert_one(entry, session=session)

    async def list(self, after: str | None, limit: int) -> list[AuditEntry]:
        criteria: Document = {} if after is None else {"_id": {"$lt": after}}
        cursor = self.collection.find(criteria).sort("_id", DESCENDING).limit(limit + 1)
        return [AuditEntry.model_validate({**doc, "id": doc["_id"]}) async for doc in cursor]


class ThresholdStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["thresholds"]

    async def set(self, group: str, threshold: Threshold, session: AsyncClientSession) -> None:
        await self.collection.replace_one(
            {"_id": group}, threshold.model_dump(), upsert=True, session=session
        )

    async def all(self) -> list[GroupThreshold]:
        cursor = self.collection.find({}).sort("_id", ASCENDING)
        return [GroupThreshold(group=document.pop("_id"), **document) async for document in cursor]


class AlertStore:
    """One document per group: its current (or last) alert."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["alerts"]

    async def save(self, alert: Alert, session: AsyncClientSession) -> None:
        await self.collection.replace_one(
            {"_id": alert.group}, alert.model_dump(), upsert=True, session=session
        )

    async def get(self, group: str) -> Alert | None:
        document = await self.collection.find_one({"_id": group})
        return None if document is None else Alert.model_validate(document)

    async def all(self) -> list[Alert]:
        cursor = self.collection.find({}).sort([("active", DESCENDING), ("raised_at", DESCENDING)])
        return [Alert.model_validate(document) async for document in cursor]
