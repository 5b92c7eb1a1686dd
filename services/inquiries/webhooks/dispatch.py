"""The webhook dispatcher: signs each delivery, posts it, retries with backoff.

Signature: ``X-Jamp-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``
with ``X-Jamp-Timestamp`` (Unix seconds), so a receiver can refuse replays of old bodies.
For a while after the secret is rotated the header carries one signature per valid
secret, the new one first, separated by ", ": a receiver accepts the body if any matches.
"""

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.inquiries.settings import InquirySettings
from services.inquiries.webhooks.model import Attempt, DeliveryStatus
from services.inquiries.webhooks.repository import WebhookRepository
from shared.backoff import doubling_pause
from shared.clock import utc_now
from shared.logs import get_logger
from shared.mongo import Document
from shared.outbound import OutboundClient, OutboundPolicy

log = get_logger(__name__)


def signature(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def signatures(subscription: Document, timestamp: str, body: str, now: datetime) -> str:
    """The current secret's signature, and the previous one's while its overlap lasts."""
    secrets = [subscription["secret"]]
    until = subscription.get("previous_secret_valid_until")
    if until is not None and _aware(until) > now:
        secrets.append(subscription["previous_secret"])
    return ", ".join(signature(secret, timestamp, body) for secret in secrets)


def _aware(moment: datetime) -> datetime:
    """MongoDB hands datetimes back without a zone; they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def send(client: OutboundClient, delivery: Document, subscription: Document) -> Attempt:
    """One signed POST of the delivery's body (the outbound policy decides if it may go)."""
    started, at = time.perf_counter(), utc_now()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/cloudevents+json",
        "X-Jamp-Delivery": delivery["_id"],
        "X-Jamp-Event": delivery["event_type"],
        "X-Jamp-Timestamp": timestamp,
        "X-Jamp-Signature": signatures(subscription, timestamp, delivery["body"], at),
    }
    sent = await client.post(subscription["url"], delivery["body"], headers)
    return Attempt.of(sent, at, round((time.perf_counter() - started) * 1000, 1))


@dataclass
class WebhookDispatcher:
    webhooks: WebhookRepository
    settings: InquirySettings
    outbound: OutboundPolicy

    async def run(self) -> None:
        client = OutboundClient(self.outbound, self.settings.webhook_timeout_seconds)
        try:
            while True:
                try:
                    while await self.dispatch_one(client):
                        pass
                except Exception as error:  # MongoDB away: keep the loop, try next poll
                    log.warning("webhooks.dispatch_failed", error=repr(error))
                await asyncio.sleep(self.settings.webhook_poll_seconds)
        finally:
            await client.close()

    async def dispatch_one(self, client: OutboundClient) -> bool:
        """Send one due delivery; False when none is due."""
        lease = timedelta(seconds=self.settings.webhook_timeout_seconds + 5)
        delivery = await self.webhooks.claim_due(utc_now(), lease)
        if delivery is None:
            return False
        subscription = await self.webhooks.get(delivery["subscription_id"])
        if subscription is None:  # nobody left to tell
            await self.webhooks.record_attempt(delivery["_id"], None, "failed", None)
            return True
        if subscription.get("paused"):  # paused since it was queued: held with the others
            await self.webhooks.record_attempt(delivery["_id"], None, "paused", None)
            return True
        attempt = await send(client, delivery, subscription)
        tries = delivery.get("tries", len(delivery["attempts"])) + 1
        # A refusal is the policy's answer, not a transient failure: retrying cannot help.
        final = attempt.outcome in ("delivered", "refused_by_policy")
        status: DeliveryStatus
        if final or tries >= self.settings.webhook_max_attempts:
            status, next_at = ("delivered" if attempt.outcome == "delivered" else "failed"), None
        else:
            status, next_at = "pending", utc_now() + self._backoff(tries)
        await self.webhooks.record_attempt(delivery["_id"], attempt, status, next_at, tries)
        if attempt.outcome != "delivered":
            log.info("webhooks.not_delivered", delivery=delivery["_id"], outcome=attempt.detail)
        return True

    def _backoff(self, tries: int) -> timedelta:
        settings = self.settings
        pause = doubling_pause(
            tries, settings.webhook_retry_base_seconds, settings.webhook_retry_max_seconds
        )
        return timedelta(seconds=pause)
