"""``jamp matching rebuild``: read models come back from the topics alone."""

from typing import Any

from aiohttp.test_utils import TestClient

from services.matching.index.rebuild import rebuild
from services.matching.keys import MATCHES, MATCHMAKER, READ_MODELS
from services.matching.settings import MatchingSettings
from shared.contracts.companies import CompanyUpdated
from shared.settings import ServiceSettings
from tests.integration.matching.conftest import (
    Publisher,
    add_city,
    company,
    matches_of,
    proposal,
    register,
    submit,
)
from tests.support import Caller, eventually


async def test_a_rebuild_rereads_the_topics_into_fresh_read_models(
    matching: TestClient[Any, Any], admin: Caller, publish: Publisher, settings: ServiceSettings
) -> None:
    water, need = company(), proposal()
    await add_city(publish)
    await register(publish, water)
    tags = ["water_supply", "flood_control"]
    await publish.send(
        water.company_id,
        CompanyUpdated(company_id=water.company_id, version=2, changes={"tags": tags}),
    )
    await submit(publish, need)

    async def rescored() -> Any:
        # The two topics are consumed side by side: wait for the match to see the new tag.
        found = await matches_of(admin, need.proposal_id)
        return found and "tag flood_control" in str(found[0]["factors"]) and found[0]

    before = await eventually(rescored)
    read_models = matching.app[READ_MODELS]
    await read_models.companies.update_one({"_id": water.company_id}, {"$set": {"tags": []}})

    done = await rebuild(MatchingSettings.of(settings))

    assert done.events == 4 and done.proposals_rescored == 1
    restored = await read_models.company(water.company_id)
    assert restored is not None and restored.tags == tags and restored.version == 2
    assert (await read_models.city("da-nang")) is not None
    [after] = await matching.app[MATCHES].of_proposal(need.proposal_id)
    assert after.score == before["score"] and after.version == before["version"]
    # The running service builds its index again before its next event.
    await submit(publish, proposal())
    maker = matching.app[MATCHMAKER]
    assert await eventually(lambda: _true(maker.rebuilds == 1))


async def _true(value: bool) -> bool:
    return value
