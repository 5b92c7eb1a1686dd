"""A token bucket per client address, for endpoints open to the public."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from shared.http.problems import TooManyRequests


@dataclass
class RateLimiter:
    """Per process: behind several replicas the effective limit is the sum of theirs."""

    per_minute: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def check(self, request: web.Request) -> None:
        """Spend one token for the caller or raise 429 with Retry-After."""
        key = request.remote or "unknown"
        now = self.clock()
        tokens, stamp = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - stamp) * self.per_minute / 60)
        if tokens < 1:
            wait = math.ceil((1 - tokens) * 60 / self.per_minute)
            self._buckets[key] = (tokens, now)
            raise TooManyRequests("too many requests from this address; slow down", wait)
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > 10_000:
            self._forget_full_buckets(now)

    def _forget_full_buckets(self, now: float) -> None:
        """A bucket that has refilled is the same as no bucket: drop those to bound memory."""
        refill_seconds = self.burst * 60 / self.per_minute
        self._buckets = {
            key: (tokens, stamp)
            for key, (tokens, stamp) in self._buckets.items()
            if now - stamp < refill_seconds
        }
