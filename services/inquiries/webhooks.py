"""Webhook subscriptions and their deliveries, stored like an outbox: a change enqueues its
deliveries in the same transaction, and the dispatcher works them off with retries."""

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.inquiries.model import Inquiry
from services.inquiries.views import Attempt, Delivery, NewSubscription, Subscription
from shared.envelope import Envelope
from shared.mongo import Document, new_id


class WebhookRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.subscriptions = database["webhook_subscriptions"]
        self.deliveries = database["webhook_deliveries"]

    async def create_indexes(self) -> None:
        await self.subscriptions.create_index("owner")
        await self.deliveries.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        await self.deliveries.create_index([("subscription_id", ASCENDING), ("_id", ASCENDING)])

    async def add(self, subscription: NewSubscription) -> None:
        document = subscription.model_dump()
        document["_id"] = document.pop("subscription_id")
        await self.subscriptions.insert_one(document)

    async def owned_by(self, owner: str | None) -> list[Subscription]:
        cursor = self.subscriptions.find({} if owner is None else {"owner": owner})
        return [_subscription(document) async for document in cursor]

    async def get(self, subscription_id: str) -> Document | None:
        return await self.subscriptions.find_one({"_id": subscription_id})

    async def enqueue(
        self, inquiry: Inquiry, envelope: Envelope, now: datetime, session: AsyncClientSession
    ) -> None:
        """One delivery per subscription that may see this inquiry."""
        requester = inquiry.requester
        audience = {
            "country": {"$in": [None, inquiry.country]},
            "company_id": {"$in": [None, requester.company_id]},
            "city_id": {"$in": [None, requester.city_id]},
        }
        cursor = self.subscriptions.find(audience, {"_id": True}, session=session)
        body = envelope.to_bytes().decode()
        rows = [
            {
                "_id": new_id(),
                "subscription_id": subscription["_id"],
                "event_type": envelope.type,
                "inquiry_id": inquiry.inquiry_id,
                "body": body,
                "status": "pending",
                "attempts": [],
                "next_attempt_at": now,
                "created_at": now,
            }
            async for subscription in cursor
        ]
        if rows:
            await self.deliveries.insert_many(rows, session=session)

    async def claim_due(self, now: datetime, lease: timedelta) -> Document | None:
        """Take one due delivery; pushing its next attempt past the lease claims it, so
        two dispatchers never send the same attempt."""
        due = {"status": "pending", "next_attempt_at": {"$lte": now}}
        # A read first: the poll runs every second, and an idle desk must not write.
        if await self.deliveries.find_one(due, {"_id": True}) is None:
            return None
        return await self.deliveries.find_one_and_update(
            due,
            {"$set": {"next_attempt_at": now + lease}},
            sort=[("next_attempt_at", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    async def record_attempt(
        self, delivery_id: str, attempt: Attempt | None, status: str, next_at: datetime | None
    ) -> None:
        """Store the attempt (None: none was made) and the delivery's new status."""
        change: Document = {"$set": {"status": status, "next_attempt_at": next_at}}
        if attempt is not None:
            change["$push"] = {"attempts": attempt.model_dump()}
        await self.deliveries.update_one({"_id": delivery_id}, change)

    async def deliveries_of(self, subscription_id: str, limit: int = 100) -> list[Delivery]:
        cursor = self.deliveries.find({"subscription_id": subscription_id}).sort("_id", -1)
        return [_delivery(document) async for document in cursor.limit(limit)]


def _subscription(document: Document) -> Subscription:
    data: dict[str, Any] = {**document, "subscription_id": document["_id"]}
    return Subscription.model_validate(data)


def _delivery(document: Document) -> Delivery:
    return Delivery.model_validate({**document, "delivery_id": document["_id"]})
