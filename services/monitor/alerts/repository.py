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
        cursor = self.collection.find({}, {"max_lag": True, "max_age_seconds": True})
        return [
            GroupThreshold(group=document.pop("_id"), **document)
            async for document in cursor.sort("_id", ASCENDING)
        ]

    async def still_set(self, threshold: GroupThreshold, session: AsyncClientSession) -> bool:
        """Whether the group's thresholds are still these, counting one more alert decided
        on them if so. The count is a write so that an operator's change or removal of them
        at the same moment conflicts with the alert's transaction: one of the two then
        runs again and sees the other."""
        limits = {"max_lag": threshold.max_lag, "max_age_seconds": threshold.max_age_seconds}
        found = await self.collection.update_one(
            {"_id": threshold.group, **limits}, {"$inc": {"alerts_decided": 1}}, session=session
        )
        return found.matched_count == 1


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
