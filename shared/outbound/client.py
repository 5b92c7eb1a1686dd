"""The client for calls to caller-chosen URLs, and what a caller may learn of them."""

from dataclasses import dataclass, field
from typing import Literal

import aiohttp

from shared.logs import get_logger
from shared.outbound.addresses import OutboundRefused
from shared.outbound.policy import OutboundPolicy, PolicyResolver

Outcome = Literal["delivered", "refused_by_policy", "http_error", "could_not_connect"]
log = get_logger(__name__)


@dataclass(frozen=True)
class Sent:
    """What a caller may learn of an outbound request."""

    outcome: Outcome
    status: int | None = None

    def describe(self) -> str:
        if self.outcome == "http_error":
            return f"failed with HTTP status {self.status}"
        return self.outcome.replace("_", " ")


@dataclass
class OutboundClient:
    """The one way out for calls to caller-chosen URLs: each passes the policy."""

    policy: OutboundPolicy
    timeout_seconds: float
    _session: aiohttp.ClientSession | None = field(default=None, init=False)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:  # created lazily: a session needs the running loop
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(resolver=PolicyResolver(self.policy)),
                timeout=aiohttp.ClientTimeout(total=self.timeout_seconds),
                trust_env=False,  # no proxy from the environment: it would resolve for us
            )
        return self._session

    async def post(self, url: str, body: str, headers: dict[str, str]) -> Sent:
        """POST once, never following a redirect; the low-level reason goes to the log only."""
        try:
            self.policy.check_url(url)
            async with self._http().post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                ok = 200 <= response.status < 300
                return Sent("delivered" if ok else "http_error", response.status)
        except OutboundRefused as refused:
            log.info("outbound.refused", reason=refused.detail)
            return Sent("refused_by_policy")
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            log.info("outbound.unreachable", error=repr(error))
            return Sent("could_not_connect")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
