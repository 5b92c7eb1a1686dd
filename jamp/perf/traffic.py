"""A desk that has run for a while: the whole desk serving a steady mix of requests for some
minutes on the benchmark's servers, before the benchmarks measure (``--ran-for``).

The mix is what a working desk sees: companies registering, cities submitting proposals
(each one scored against every company so far), embassy desks submitting inquiries. Each
kind follows its own clock, so a slow answer delays only its own kind; a request that
fails is counted, never retried (the figure is what ran, not what was meant to).
"""

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import orjson

from jamp.perf.desk import running_desk
from jamp.perf.intake import BODIES, authorised
from jamp.perf.servers import Servers
from shared.settings import ServiceSettings

EVERY_SECONDS = {"companies": 1.0, "proposals": 4.0, "inquiries": 2.0}
"""A registration a second, an inquiry every two, a proposal every four."""


@dataclass
class Served:
    accepted: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)


async def ran_for(servers: Servers, minutes: float, logs: Path) -> tuple[Servers, Served]:
    """Run the whole desk with the steady mix for ``minutes`` and stop it; returns the same
    servers naming that desk's databases and topics (so what measures next finds them),
    and what the desk served."""
    async with running_desk(servers, logs) as desk:
        served = Served()
        deadline = time.monotonic() + minutes * 60
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(
                *(
                    _steady(http, kind, desk.urls[kind], desk.settings, deadline, served)
                    for kind in EVERY_SECONDS
                )
            )
        aged = Servers(servers.mongodb_uri, servers.kafka_bootstrap, servers.stack, desk.settings)
        return aged, served


async def _steady(
    http: aiohttp.ClientSession, kind: str, url: str, settings: ServiceSettings,
    deadline: float, served: Served,
) -> None:  # fmt: skip
    headers = {"content-type": "application/json", **await authorised(settings, kind, url)}
    every, number, next_at = EVERY_SECONDS[kind], 0, time.monotonic()
    while next_at < deadline:
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        number += 1
        body = orjson.dumps(_varied(kind, number))
        async with http.post(f"{url}/{kind}", data=body, headers=headers) as response:
            await response.read()
            tally = served.accepted if response.status < 300 else served.failed
            tally[kind] = tally.get(kind, 0) + 1
        next_at += every


def _varied(kind: str, number: int) -> dict[str, object]:
    """The benchmark's body with a name or title of its own, as real submissions differ."""
    body = dict(BODIES[kind])
    field_name = {"companies": "name_en", "proposals": "title", "inquiries": "subject"}[kind]
    body[field_name] = f"{body[field_name]} {number}"
    return body
