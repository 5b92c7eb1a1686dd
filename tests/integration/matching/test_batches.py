"""Several events in one transaction (a consumer batch): they tick the index clock once, each
sees what the ones before it wrote, and a batch that fails leaves nothing behind, in the
database or in the index."""

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import PyMongoError

from services.matching.app import create_app
from services.matching.index.matchmaker import because
from services.matching.keys import MATCHES, MATCHMAKER, READ_MODELS
from shared.mongo import is_transient, transaction
from shared.platform import PLATFORM, Trace, UnitOfWork
from shared.settings import ServiceSettings
from tests.integration.matching.conftest import (
    Publisher,
    company,
    exactly,
    matches_of,
    proposal,
    register,
    submit,
)
from tests.support import Caller, eventually, granted, serving


def trace() -> Trace:
    return Trace(correlation_id=None, traceparent=None, actor="test")


async def test_a_registration_and_two_updates_in_one_transaction_see_each_other(
    matching: TestClient[Any, Any], admin: Caller, publish: Publisher
) -> None:
    need = proposal()
    await submit(publish, need)
    maker, platform = matching.app[MATCHMAKER], matching.app[PLATFORM]
    await eventually(lambda: _true(need.proposal_id in maker.pool.proposals))
    water = company()

    async def three_events(session: AsyncClientSession) -> None:
        await maker.company_changed(
            water, because(water.company_id, ["company registered"]), _uow(platform, session)
        )
        updates = [
            {"tags": ["water_supply", "wastewater", "flood_control"]},
            {"capability_statement": "Leakage reduction and flood control for river cities"},
        ]
        for version, changes in enumerate(updates, start=2):
            await maker.company_updated(water.company_id, version, changes, _uow(platform, session))

    await in_one_transaction(matching, three_events)

    # One pair, not one per event: the updates found the match the registration wrote
    # (a second one would break the pair's unique index and abort the whole batch).
    [match] = await eventually(lambda: exactly(admin, need.proposal_id, 1))
    assert match["company_id"] == water.company_id
    [stored] = await matching.app[MATCHES].of_company(water.company_id)
    # ...and rescored it: the stored score is the last update's, not the registration's.
    now = maker.pool.row_scores(need.proposal_id)[maker.pool.position[water.company_id]]
    assert stored.status == "proposed" and abs(stored.score - float(now)) < 1e-3
    # One tick of the index clock for the three: their writes carry one seq.
    pair = await matching.app[MATCHES].collection.find_one({"company_id": water.company_id})
    profile = await matching.app[READ_MODELS].companies.find_one({"_id": water.company_id})
    assert pair is not None and profile is not None and pair["seq"] == profile["seq"]
    assert maker.pool.stored(water.company_id).version == 3


async def test_a_failed_batch_leaves_neither_writes_nor_memory_behind(
    matching: TestClient[Any, Any], admin: Caller, publish: Publisher
) -> None:
    need, water = proposal(), company()
    await register(publish, water)
    await submit(publish, need)
    [listed] = await eventually(lambda: exactly(admin, need.proposal_id, 1))
    maker, platform = matching.app[MATCHMAKER], matching.app[PLATFORM]

    async def suspended_then_failed(session: AsyncClientSession) -> None:
        await maker.company_updated(
            water.company_id, 2, {"status": "suspended"}, _uow(platform, session)
        )
        assert maker.pool.stored(water.company_id).version == 2
        raise RuntimeError("another event of the batch failed")

    async def next_event(session: AsyncClientSession) -> None:
        await maker.sync(_uow(platform, session))  # reads back what the failed one changed

    with pytest.raises(RuntimeError):
        await in_one_transaction(matching, suspended_then_failed)
    await in_one_transaction(matching, next_event)
    assert maker.pool.stored(water.company_id).version == 1
    assert not maker.pool.companies[maker.pool.position[water.company_id]].blocked
    assert await matches_of(admin, need.proposal_id) == [listed]


async def test_a_second_replica_sees_a_batch_once_committed(
    settings: ServiceSettings, matching: TestClient[Any, Any], publish: Publisher
) -> None:
    water = company()
    await register(publish, water)
    maker, platform = matching.app[MATCHMAKER], matching.app[PLATFORM]
    await eventually(lambda: _true(maker.pool.stored(water.company_id) is not None))
    async with serving(create_app, settings) as other:
        other_maker, there = other.app[MATCHMAKER], other.app[PLATFORM]

        async def update(session: AsyncClientSession) -> None:
            changes = {"tags": ["water_supply", "desalination"]}
            await maker.company_updated(water.company_id, 2, changes, _uow(platform, session))

        async def next_event(session: AsyncClientSession) -> None:
            await other_maker.sync(_uow(there, session))

        await in_one_transaction(matching, update)
        await in_one_transaction(other, next_event)
        seen = other_maker.pool.stored(water.company_id)
        assert seen is not None and seen.version == 2 and "desalination" in seen.tags
        assert await granted(other, "admin")  # the replica still serves


async def in_one_transaction(
    service: TestClient[Any, Any], work: Callable[[AsyncClientSession], Awaitable[None]]
) -> None:
    """As the consumer runs a batch; retried when it conflicts with the service's own
    consumer ticking the index clock meanwhile."""
    maker, platform = service.app[MATCHMAKER], service.app[PLATFORM]
    for attempt in range(10):
        try:
            async with transaction(platform.mongo) as session, maker.batch(session):
                await work(session)
            return
        except PyMongoError as error:
            if not is_transient(error) or attempt == 9:
                raise


def _uow(platform: Any, session: Any) -> UnitOfWork:
    return UnitOfWork(platform, session, trace())


async def _true(value: bool) -> bool:
    return value
