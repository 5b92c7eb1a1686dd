"""A desk of many companies (``jamp bench desk --companies N``): N self-registrations
through the companies API, each a profile of its own, so the services' read models and
indexes hold what N real companies would (their own names, tags, countries and words).

The words of a capability statement come from the words of its tags and a shared
vocabulary of a few thousand made-up ones, so the term space grows with the pool as it
does with real statements, rather than every company repeating one example.
"""

import asyncio
import random
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass

import aiohttp

from shared.contracts.vocabulary import COUNTRIES_OF_EXPERIENCE, LANGUAGES, taxonomy_document

VOCABULARY = 4000
"""Made-up words the statements share, besides the words of their tags."""
COUNTRIES = sorted(COUNTRIES_OF_EXPERIENCE)
OTHER_LANGUAGES = sorted(LANGUAGES - {"en", "ja"})


@dataclass(frozen=True)
class Registered:
    accepted: int
    failed: int
    seconds: float


class Profiles:
    """Registration bodies, the same for the same seed (a run can be repeated)."""

    def __init__(self, seed: int = 13) -> None:
        self.random = random.Random(seed)
        areas = taxonomy_document()["focus_areas"]
        self.tags: dict[str, list[str]] = {area: spec["tags"] for area, spec in areas.items()}
        letters = string.ascii_lowercase
        self.words = ["".join(self.random.choices(letters, k=7)) for _ in range(VOCABULARY)]

    def body(self, number: int) -> dict[str, object]:
        pick = self.random
        areas = pick.sample(sorted(self.tags), pick.randint(1, 3))
        tags = pick.sample([t for a in areas for t in self.tags[a]], pick.randint(1, 4))
        own = [word for tag in tags for word in tag.split("_")]
        words = [pick.choice(own) if pick.random() < 0.4 else pick.choice(self.words)
                 for _ in range(pick.randint(25, 60))]  # fmt: skip
        countries = pick.sample(COUNTRIES, pick.randint(1, 4))
        return {
            "name_en": f"Bench Company {number}",
            "name_ja": f"ベンチ株式会社{number}",
            "size": pick.choice(["small", "medium", "large"]),
            "focus_areas": areas,
            "tags": tags,
            "countries": countries,
            "languages": ["en", "ja", *pick.sample(OTHER_LANGUAGES, pick.randint(0, 2))],
            "capability_statement": " ".join(words).capitalize() + ".",
            "references": [self._reference(own, countries, n) for n in range(pick.randint(0, 3))],
            "contact": {"name": f"Contact {number}", "email": f"c{number}@example.co.jp"},
        }

    def _reference(self, own: list[str], countries: list[str], number: int) -> dict[str, object]:
        title = " ".join(self.random.sample(own, min(2, len(own))))
        country, year = self.random.choice(countries), self.random.randint(2010, 2025)
        return {"title": f"{title} project {number}", "country": country, "year": year}

    def bodies(self, count: int) -> Iterator[dict[str, object]]:
        return (self.body(number) for number in range(count))


async def register(url: str, count: int, concurrency: int = 16) -> Registered:
    """``count`` registrations POSTed to ``{url}/companies`` by ``concurrency`` clients;
    a refused one is counted, never retried."""
    bodies = Profiles().bodies(count)
    accepted = failed = 0
    started = time.perf_counter()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as http:

        async def client() -> None:
            nonlocal accepted, failed
            for body in bodies:  # one generator: every body is sent once
                async with http.post(f"{url}/companies", json=body) as response:
                    await response.read()
                    if response.status < 300:
                        accepted += 1
                    else:
                        failed += 1

        await asyncio.gather(*(client() for _ in range(concurrency)))
    return Registered(accepted, failed, time.perf_counter() - started)
