"""What the matching consumer asks the database per event: a company with no pair stored
(a new one) is listed without reading the matches collection; one with pairs still reads
them, so the result is the same."""

from typing import Any

from aiohttp.test_utils import TestClient

from services.matching.keys import MATCHMAKER
from shared.contracts.companies import CompanyUpdated
from shared.mongo import Document
from shared.settings import ServiceSettings
from tests.integration.matching.conftest import (
    Publisher,
    company,
    exactly,
    proposal,
    register,
    submit,
)
from tests.support import Caller, command_log, eventually


def naming(commands: list[Document], company_id: str) -> list[Document]:
    return [command for command in commands if company_id in repr(command.get("filter"))]


async def test_a_new_company_is_listed_without_reading_the_matches_it_cannot_have(
    settings: ServiceSettings, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
) -> None:
    log = command_log(settings.database_name("matching"))
    need, water = proposal(), company()
    await submit(publish, need)
    maker = matching.app[MATCHMAKER]
    await eventually(lambda: _true(need.proposal_id in maker.pool.proposals))

    await register(publish, water)

    [listed] = await eventually(lambda: exactly(admin, need.proposal_id, 1))
    assert listed["company_id"] == water.company_id and listed["status"] == "proposed"
    assert naming(log.sent("find", "matches"), water.company_id) == []


async def test_a_company_with_a_pair_still_reads_it_when_it_changes(
    settings: ServiceSettings, matching: TestClient[Any, Any], admin: Caller, publish: Publisher
) -> None:
    need, water = proposal(), company()
    await register(publish, water)
    await submit(publish, need)
    [before] = await eventually(lambda: exactly(admin, need.proposal_id, 1))
    log = command_log(settings.database_name("matching"))

    tags = ["water_supply", "wastewater", "flood_control"]
    changes = {"tags": tags}
    await publish.send(
        water.company_id, CompanyUpdated(company_id=water.company_id, version=2, changes=changes)
    )

    async def rescored() -> Any:
        found = await exactly(admin, need.proposal_id, 1)
        return found and found[0]["version"] == 2 and found[0]

    after = await eventually(rescored)
    assert after["match_id"] == before["match_id"] and after["score"] > before["score"]
    assert naming(log.sent("find", "matches"), water.company_id)  # its pair was read


async def _true(value: bool) -> bool:
    return value
