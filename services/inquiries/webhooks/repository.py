"""Webhook subscriptions and their deliveries, stored like an outbox: a change enqueues its
deliveries in the same transaction, and the dispatcher works them off with retries."""

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.inquiries.model import Inquiry
from services.inquiries.webhooks.model import (
    DEFAULT_EVENTS,
    Attempt,
    Delivery,
    DeliveryStatus,
    NewSubscription,
    Subscription,
    event_name,
    for_requester,
)
from shared.envelope import Envelope
from shared.mongo import Document, new_id

Session = AsyncClientSession | None


class WebhookRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.subscriptions = database["webhook_subscriptions"]
        self.deliveries = database["webhook_deliveries"]

    async def create_indexes(self) -> None:
        await self.subscriptions.create_index("owner")
        await self.deliveries.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        await self.deliveries.create_index([("subscription_id", ASCENDING), ("_id", ASCENDING)])

    async def add(self, subscription: NewSubscription, session: Session = None) -> None:
        document = subscription.model_dump()
        document["_id"] = document.pop("subscription_id")
        await self.subscriptions.insert_one(document, session=session)

    async def owned_by(self, owner: str | None) -> list[Subscription]:
        cursor = self.subscriptions.find({} if owner is None else {"owner": owner})
        return [subscription_of(document) async for document in cursor]

    async def get(self, subscription_id: str, session: Session = None) -> Document | None:
        return await self.subscriptions.find_one({"_id": subscription_id}, session=session)

    async def change(
        self, subscription_id: str, changes: Document, session: AsyncClientSession
    ) -> None:
        await self.subscriptions.update_one(
            {"_id": subscription_id}, {"$set": changes}, session=session
        )

    async def hold(self, subscription_id: str, paused: bool, session: AsyncClientSession) -> None:
        """Pausing holds the pending deliveries; resuming makes the held ones due now."""
        before, after = ("pending", "paused") if paused else ("paused", "pending")
        await self.deliveries.update_many(
            {"subscription_id": subscription_id, "status": before},
            {"$set": {"status": after}},
            session=session,
        )

    async def remove(self, subscription_id: str, session: AsyncClientSession) -> None:
        """The subscription and its deliveries (pending ones are never sent)."""
        await self.deliveries.delete_many({"subscription_id": subscription_id}, session=session)
        await self.subscriptions.delete_one({"_id": subscription_id}, session=session)

    async def enqueue(
        self, inquiry: Inquiry, envelope: Envelope, now: datetime, session: AsyncClientSession
    ) -> None:
        """One delivery per subscription that may see this inquiry and asked for this
        event; a paused subscription's is held until it resumes."""
        requester, name = inquiry.requester, event_name(envelope.type)
        # Subscriptions stored before ``events`` existed hear what they always heard.
        asked: Document = {"events": name}
        if name in DEFAULT_EVENTS:
            asked = {"$or": [asked, {"events": {"$exists": False}}]}
        audience = {
            "country": {"$in": [None, inquiry.country]},
            "company_id": {"$in": [None, requester.company_id]},
            "city_id": {"$in": [None, requester.city_id]},
            **asked,
        }
        shown = {"paused": True, "company_id": True, "city_id": True}
        cursor = self.subscriptions.find(audience, shown, session=session)
        bodies = {False: envelope.to_bytes().decode(),
                  True: for_requester(envelope).to_bytes().decode()}  # fmt: skip
        rows = []
        async for subscription in cursor:
            body = bodies[_requester_side(subscription)]
            rows.append(_delivery_row(subscription, envelope.type, inquiry.inquiry_id, body, now))
        if rows:
            await self.deliveries.insert_many(rows, session=session)

    async def add_delivery(self, row: Document, session: AsyncClientSession) -> None:
        await self.deliveries.insert_one(row, session=session)

    async def delivery(
        self, subscription_id: str, delivery_id: str, session: Session = None
    ) -> Document | None:
        criteria = {"_id": delivery_id, "subscription_id": subscription_id}
        return await self.deliveries.find_one(criteria, session=session)

    async def redeliver(
        self,
        delivery_id: str,
        status: DeliveryStatus,
        now: datetime,
        session: AsyncClientSession,
    ) -> bool:
        """A failed delivery is due again (or held), with a full round of attempts; False
        if it is not failed (any more)."""
        result = await self.deliveries.update_one(
            {"_id": delivery_id, "status": "failed"},
            {"$set": {"status": status, "next_attempt_at": now, "tries": 0}},
            session=session,
        )
        return result.modified_count == 1

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
        self,
        delivery_id: str,
        attempt: Attempt | None,
        status: DeliveryStatus,
        next_at: datetime | None,
        tries: int | None = None,
    ) -> None:
        """Store the attempt (None: none was made), the delivery's new status and how many
        attempts of this round were made."""
        change: Document = {"$set": {"status": status, "next_attempt_at": next_at}}
        if tries is not None:
            change["$set"]["tries"] = tries
        if attempt is not None:
            change["$push"] = {"attempts": attempt.model_dump()}
        await self.deliveries.update_one({"_id": delivery_id}, change)

    async def deliveries_of(self, subscription_id: str, limit: int = 100) -> list[Delivery]:
        cursor = self.deliveries.find({"subscription_id": subscription_id}).sort("_id", -1)
        return [delivery_of(document) async for document in cursor.limit(limit)]


def _requester_side(subscription: Document) -> bool:
    return subscription.get("company_id") is not None or subscription.get("city_id") is not None


def _delivery_row(
    subscription: Document, event_type: str, inquiry_id: str | None, body: str, now: datetime
) -> Document:
    return {
        "_id": new_id(),
        "subscription_id": subscription["_id"],
        "event_type": event_type,
        "inquiry_id": inquiry_id,
        "body": body,
        "status": "paused" if subscription.get("paused") else "pending",
        "attempts": [],
        "tries": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def ping_row(subscription: Document, envelope: Envelope, now: datetime) -> Document:
    """A test delivery: sent at once by the request that asked for it, not queued."""
    return _delivery_row(subscription, envelope.type, None, envelope.to_bytes().decode(), now)


def subscription_of(document: Document) -> Subscription:
    data: dict[str, Any] = {**document, "subscription_id": document["_id"]}
    return Subscription.model_validate(data)


def delivery_of(document: Document) -> Delivery:
    return Delivery.model_validate({**document, "delivery_id": document["_id"]})
