"""The webhook dispatcher: signs each delivery, posts it, retries with backoff.

Signature: ``X-Jamp-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``
with ``X-Jamp-Timestamp`` (Unix seconds), so a receiver can refuse replays of old bodies.
"""

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp

from services.inquiries.settings import InquirySettings
from services.inquiries.views import Attempt
from services.inquiries.webhooks import WebhookRepository
from shared.logs import get_logger
from shared.mongo import Document

log = get_logger(__name__)


def signature(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


@dataclass
class WebhookDispatcher:
    webhooks: WebhookRepository
    settings: InquirySettings

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.settings.webhook_timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while True:
                try:
                    while await self.dispatch_one(http):
                        pass
                except Exception as error:  # MongoDB away: keep the loop, try next poll
                    log.warning("webhooks.dispatch_failed", error=repr(error))
                await asyncio.sleep(self.settings.webhook_poll_seconds)

    async def dispatch_one(self, http: aiohttp.ClientSession) -> bool:
        """Send one due delivery; False when none is due."""
        lease = timedelta(seconds=self.settings.webhook_timeout_seconds + 5)
        delivery = await self.webhooks.claim_due(datetime.now(UTC), lease)
        if delivery is None:
            return False
        subscription = await self.webhooks.get(delivery["subscription_id"])
        attempt = await self._post(http, delivery, subscription)
        delivered = attempt.status is not None and 200 <= attempt.status < 300
        tries = len(delivery["attempts"]) + 1
        if delivered or tries >= self.settings.webhook_max_attempts or subscription is None:
            status, next_at = ("delivered" if delivered else "failed"), None
        else:
            status, next_at = "pending", datetime.now(UTC) + self._backoff(tries)
        await self.webhooks.record_attempt(delivery["_id"], attempt, status, next_at)
        return True

    async def _post(
        self, http: aiohttp.ClientSession, delivery: Document, subscription: Document | None
    ) -> Attempt:
        started, at = time.perf_counter(), datetime.now(UTC)
        if subscription is None:
            return Attempt(at=at, status=None, error="subscription deleted", ms=0)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/cloudevents+json",
            "X-Jamp-Delivery": delivery["_id"],
            "X-Jamp-Event": delivery["event_type"],
            "X-Jamp-Timestamp": timestamp,
            "X-Jamp-Signature": signature(subscription["secret"], timestamp, delivery["body"]),
        }
        try:
            async with http.post(subscription["url"], data=delivery["body"], headers=headers) as r:
                status, error = r.status, None if r.status < 300 else f"HTTP {r.status}"
        except (aiohttp.ClientError, TimeoutError) as failure:
            status, error = None, repr(failure)
        elapsed = (time.perf_counter() - started) * 1000
        return Attempt(at=at, status=status, error=error, ms=round(elapsed, 1))

    def _backoff(self, tries: int) -> timedelta:
        base = self.settings.webhook_retry_base_seconds
        seconds = min(self.settings.webhook_retry_max_seconds, base * 2.0 ** min(tries - 1, 32))
        return timedelta(seconds=seconds)
