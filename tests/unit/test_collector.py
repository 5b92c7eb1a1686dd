"""The garbage collector's start-up tuning, on a real aiohttp app started by a runner:
what its resources hold once set up is frozen, the young threshold is the setting's."""

import gc
from collections.abc import AsyncIterator, Iterator

import pytest
from aiohttp import web

from shared.serve import collector_after_start
from shared.settings import ServiceSettings

RESOURCE = web.AppKey("resource", list)


@pytest.fixture
def collector() -> Iterator[None]:
    """The test process's own collector as it was, afterwards."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def _tracked(value: object) -> bool:
    """In one of the three generations (frozen objects are in none of them)."""
    return any(value is candidate for g in range(3) for candidate in gc.get_objects(g))


async def _started(settings: ServiceSettings) -> tuple[web.AppRunner, list[object]]:
    async def resource(app: web.Application) -> AsyncIterator[None]:
        app[RESOURCE] = [object()]  # what a client or an index is to a service
        yield

    app = web.Application()
    app.cleanup_ctx.append(resource)
    collector_after_start(app, settings)
    runner = web.AppRunner(app)
    await runner.setup()
    return runner, app[RESOURCE]


@pytest.mark.usefixtures("collector")
async def test_what_start_up_set_up_is_frozen_and_the_threshold_is_the_setting() -> None:
    runner, resource = await _started(ServiceSettings(gc_threshold0=5_000))
    try:
        assert gc.get_freeze_count() > 0
        assert not _tracked(resource)  # set up before the freeze, never traversed again
        assert gc.get_threshold()[0] == 5_000
        assert _tracked([])  # what comes later is collected as usual
    finally:
        await runner.cleanup()


@pytest.mark.usefixtures("collector")
async def test_freezing_can_be_turned_off() -> None:
    gc.unfreeze()
    runner, resource = await _started(ServiceSettings(gc_freeze_after_start=False))
    try:
        assert gc.get_freeze_count() == 0
        assert _tracked(resource)
        assert gc.get_threshold()[0] == 700
    finally:
        await runner.cleanup()
