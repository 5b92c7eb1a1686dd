"""The load of a fault round: self-registrations, each retried by a well-behaved client
with its Idempotency-Key until it gets an answer that is not a server or network error."""

import asyncio
import contextlib
import itertools
import secrets
import uuid
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
    retried_on: list[int] = field(default_factory=list)
    """The 5xx statuses answered before the final answer (the client asked again)."""


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
        headers = {"Idempotency-Key": key or f"chaos-{number}-{uuid.uuid4().hex}"}
        retried_on: list[int] = []
        try:
            async with asyncio.timeout(PATIENCE_SECONDS):
                while True:
                    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                        # A network error: the service or its database is restarting.
                        url = f"{self.url}/companies"
                        async with http.post(url, json=body, headers=headers) as response:
                            if response.status < 500:
                                return await _answer(number, response, retried_on)
                            retried_on.append(response.status)
                    await asyncio.sleep(0.2)
        except TimeoutError:  # never answered: status 0, a wrong answer
            return Answer(number, 0, None, None, retried_on)


async def _answer(number: str, response: aiohttp.ClientResponse, retried_on: list[int]) -> Answer:
    if response.status != 201:
        return Answer(number, response.status, None, None, retried_on)
    answer = await response.json()
    company_id, api_key = answer["company"]["company_id"], answer["api_key"]
    return Answer(number, response.status, company_id, api_key, retried_on)
