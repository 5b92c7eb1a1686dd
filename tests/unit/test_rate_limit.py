"""The token bucket that guards public endpoints, one bucket per client address."""

import pytest
from aiohttp.test_utils import make_mocked_request
from aiohttp.web import Request

from shared.http.problems import TooManyRequests
from shared.http.ratelimit import RateLimiter


def from_address(remote: str | None) -> Request:
    request = make_mocked_request("POST", "/companies")  # its transport knows no peer
    return request if remote is None else request.clone(remote=remote)


def spend(limiter: RateLimiter, remote: str | None, times: int) -> None:
    for _ in range(times):
        limiter.check(from_address(remote))


def test_a_caller_may_spend_the_whole_burst_at_once() -> None:
    spend(RateLimiter(per_minute=1, burst=5), "203.0.113.7", 5)


def test_past_the_burst_the_caller_gets_429_with_retry_after() -> None:
    limiter = RateLimiter(per_minute=1, burst=3)
    spend(limiter, "203.0.113.7", 3)
    with pytest.raises(TooManyRequests) as refused:
        limiter.check(from_address("203.0.113.7"))
    assert refused.value.status == 429
    assert refused.value.headers == {"Retry-After": "60"}  # one token a minute


def test_retry_after_is_whole_seconds_until_the_next_token() -> None:
    limiter = RateLimiter(per_minute=30, burst=1)
    spend(limiter, "203.0.113.7", 1)
    with pytest.raises(TooManyRequests) as refused:
        limiter.check(from_address("203.0.113.7"))
    assert refused.value.headers["Retry-After"] == "2"


def test_refused_requests_keep_being_refused_while_the_bucket_is_empty() -> None:
    limiter = RateLimiter(per_minute=1, burst=1)
    spend(limiter, "203.0.113.7", 1)
    for _ in range(3):
        with pytest.raises(TooManyRequests):
            limiter.check(from_address("203.0.113.7"))


def test_different_addresses_have_independent_buckets() -> None:
    limiter = RateLimiter(per_minute=1, burst=2)
    spend(limiter, "203.0.113.7", 2)
    with pytest.raises(TooManyRequests):
        limiter.check(from_address("203.0.113.7"))
    spend(limiter, "198.51.100.9", 2)


def test_callers_without_an_address_share_one_bucket() -> None:
    limiter = RateLimiter(per_minute=1, burst=1)
    spend(limiter, None, 1)
    with pytest.raises(TooManyRequests):
        limiter.check(from_address(None))


def test_the_bucket_refills_with_time() -> None:
    now = [1000.0]
    limiter = RateLimiter(per_minute=60, burst=1, clock=lambda: now[0])  # a token a second
    spend(limiter, "203.0.113.7", 1)
    now[0] += 0.5
    with pytest.raises(TooManyRequests):
        limiter.check(from_address("203.0.113.7"))
    now[0] += 1.0
    spend(limiter, "203.0.113.7", 1)
