"""The store and its sweeper as one cleanup context: a service appends it after the platform."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial

from aiohttp import web

from shared.clock import utc_now
from shared.documents.records import DocumentLimits
from shared.documents.store import DocumentStore
from shared.logs import get_logger
from shared.platform import PLATFORM, CleanupContext
from shared.settings import ServiceSettings
from shared.tasks import KeptRunning, cancel_and_wait

log = get_logger("documents")


def limits_of(settings: ServiceSettings) -> DocumentLimits:
    return DocumentLimits(
        max_file_bytes=settings.attachment_max_file_bytes,
        max_parent_bytes=settings.attachment_max_parent_bytes,
        grace=timedelta(seconds=settings.attachment_grace_seconds),
    )


def documents_context(key: web.AppKey[DocumentStore]) -> CleanupContext:
    """Put the service's document store under ``key`` and sweep it in the background."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        platform = app[PLATFORM]
        store = DocumentStore(platform.database, limits_of(platform.settings))
        await store.create_indexes()
        app[key] = store
        every = platform.settings.attachment_sweep_seconds
        sweeper = KeptRunning(partial(sweep_forever, store, every), "documents-sweeper")
        yield
        await cancel_and_wait(sweeper.task)

    return context


async def sweep_forever(store: DocumentStore, every: float) -> None:
    while True:
        try:
            removed = await store.sweep(utc_now())
            if removed:
                log.info("documents.swept", removed=removed)
        except Exception:
            # An unreachable database is retried at the next round; the service keeps serving.
            log.warning("documents.sweep_failed", exc_info=True)
        await asyncio.sleep(every)
