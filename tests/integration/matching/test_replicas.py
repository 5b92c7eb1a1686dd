"""Two replicas in one consumer group: company and proposal events are split between them
by partition, yet each scores against the whole pool as last committed, because every
index change ticks the shared index clock and a replica catches up before it scores."""

import uuid
from functools import partial
from typing import Any

from aiohttp.test_utils import TestClient

from services.matching.app import create_app
from services.matching.index.matchmaker import Matchmaker
from services.matching.keys import MATCHMAKER
from shared.settings import ServiceSettings
from tests.integration.matching.conftest import (
    Publisher,
    company,
    matches_of,
    proposal,
    register,
    submit,
)
from tests.support import Caller, eventually, granted, serving


def busy(maker: Matchmaker) -> bool:
    return maker.pending is not None


def unrelated() -> Any:
    return proposal(
        title=uuid.uuid4().hex,
        description="Remote consultations for rural clinics",
        focus_areas=["health_wellbeing"],
        tags=["telemedicine"],
    )


async def test_two_replicas_each_score_against_the_whole_pool(
    settings: ServiceSettings, publish: Publisher
) -> None:
    async with serving(create_app, settings) as one, serving(create_app, settings) as two:
        makers = [one.app[MATCHMAKER], two.app[MATCHMAKER]]
        admin = await granted(one, "admin")

        async def both_consuming() -> bool:
            # Proposals nobody matches, on new keys, until each replica has handled one.
            await submit(publish, unrelated())
            return all(busy(maker) for maker in makers)

        await eventually(both_consuming, timeout=90)
        water = company()
        await register(publish, water)
        needs = [proposal() for _ in range(8)]
        for need in needs:
            await submit(publish, need)

        for need in needs:  # whichever replica handled it had the company in its pool
            [match] = await eventually(partial(matches_of, admin, need.proposal_id))
            assert match["company_id"] == water.company_id

        async def both_caught_up() -> bool:
            # Each replica learns of the company at its next event, whoever registered it.
            await submit(publish, unrelated())
            return all(water.company_id in maker.pool.position for maker in makers)

        await eventually(both_caught_up, timeout=60)
        assert makers[0].seq > 0 and makers[1].seq > 0
        await _same_lists(admin, needs, two)


async def _same_lists(admin: Caller, needs: list[Any], other: TestClient[Any, Any]) -> None:
    """Both replicas answer the same lists: they read one database."""
    other_admin = await granted(other, "admin")
    for need in needs:
        assert await matches_of(admin, need.proposal_id) == await matches_of(
            other_admin, need.proposal_id
        )
