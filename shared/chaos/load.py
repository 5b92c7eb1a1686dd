"""The load of a fault round: self-registrations, each retried by a well-behaved client
with its Idempotency-Key until it gets an answer that is not a server or network error."""

import asyncio
import itertools
import secrets
from dataclasses import dataclass, field

import aiohttp

from services.companies.model import EXAMPLE_REGISTRATION

# A client gives up on one registration after this long (the fault is long over by then).
PATIENCE_SECONDS = 120.0


def corporate_number(serial: int) -> str:
    """A valid 13-digit corporate number (National Tax Agency check digit), unique per run."""
    body = f"{secrets.randbelow(10**6):06d}{serial:06d}"
    total = sum(int(d) * (2 if n % 2 == 0 else 1) for n, d in enumerate(reversed(body), 1))
    return f"{9 - total % 9}{body}"


@dataclass
class Answer:
    number: str
    status: int
    company_id: str | None
    api_key: str | None


@dataclass
class Load:
    url: str
    requests: int
    concurrency: int
    answers: list[Answer] = field(default_factory=list)
    halfway: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        serials = itertools.count()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http:

            async def worker() -> None:
                while (serial := next(serials)) < self.requests:
                    self.answers.append(await self._register(http, corporate_number(serial)))
                    if len(self.answers) >= self.requests // 2:
                        self.halfway.set()

            await asyncio.gather(*(worker() for _ in range(self.concurrency)))

    async def register_one(self, key: str) -> Answer:
        """One registration outside the counted load (the recovery probe)."""
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http:
            return await self._register(http, corporate_number(999_999), key)

    async def _register(
        self, http: aiohttp.ClientSession, number: str, key: str | None = None
    ) -> Answer:
        body = {**EXAMPLE_REGISTRATION, "corporate_number": number, "name_en": f"Chaos {number}"}
        headers = {"Idempotency-Key": key or f"chaos-{number}"}
        async with asyncio.timeout(PATIENCE_SECONDS):
            while True:
                try:
                    async with http.post(f"{self.url}/companies", json=body, headers=headers) as r:
                        if r.status < 500:
                            answer = await r.json()
                            if r.status != 201:
                                return Answer(number, r.status, None, None)
                            company = answer["company"]["company_id"]
                            return Answer(number, r.status, company, answer["api_key"])
                except (aiohttp.ClientError, TimeoutError):
                    pass  # the service or its database is restarting: ask again
                await asyncio.sleep(0.2)
