"""Lag thresholds per consumer group, and each group's current (or last) alert."""

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.monitor.alerts.model import Alert, GroupThreshold, Threshold
from shared.mongo import Document


class ThresholdStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["thresholds"]

    async def set(self, group: str, threshold: Threshold, session: AsyncClientSession) -> None:
        await self.collection.replace_one(
            {"_id": group}, threshold.model_dump(), upsert=True, session=session
        )

    async def remove(self, group: str, session: AsyncClientSession) -> bool:
        """False when the group had no thresholds."""
        removed = await self.collection.delete_one({"_id": group}, session=session)
        return removed.deleted_count == 1

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

    async def get(self, group: str, session: AsyncClientSession | None = None) -> Alert | None:
        document = await self.collection.find_one({"_id": group}, session=session)
        return None if document is None else Alert.model_validate(document)

    async def all(self) -> list[Alert]:
        cursor = self.collection.find({}).sort([("active", DESCENDING), ("raised_at", DESCENDING)])
        return [Alert.model_validate(document) async for document in cursor]
