"""Run one service process: JSON logs, its app, graceful shutdown on SIGTERM / Ctrl-C.

Shutting down drains first: ``/readyz`` answers 503 ``draining`` and every response
closes its connection, so load balancers and keep-alive clients move on, while the port
still accepts for ``JAMP_HTTP_DRAIN_SECONDS``. Then the port closes, requests in flight
finish (up to ``SHUTDOWN_SECONDS``) and the cleanup contexts run (consumers finish and
commit their batch, the relay and clients close). No request is cut off mid-answer.
"""

import asyncio
import signal
from collections.abc import Callable

from aiohttp import web

from shared.http.appkeys import DRAINING
from shared.http.server import ServiceRunner
from shared.kafka import wait_closed
from shared.logs import configure_logging, get_logger
from shared.settings import MissingSecret, ServiceSettings

AppFactory = Callable[[ServiceSettings], web.Application]
SHUTDOWN_SECONDS = 15.0


def serve(service: str, create_app: AppFactory) -> None:
    """Blocks until SIGTERM/SIGINT, then drains and stops (see the module's doc)."""
    settings = ServiceSettings()
    configure_logging(settings.log_level, settings.log_json)
    try:
        app = create_app(settings)
    except MissingSecret as missing:
        get_logger(service).error("service.refused_to_start", service=service, reason=str(missing))
        raise SystemExit(f"{service} refused to start: {missing}") from None
    asyncio.run(_serve(service, app, settings))


async def _serve(service: str, app: web.Application, settings: ServiceSettings) -> None:
    log = get_logger(service)
    # Its server answers even the requests aiohttp's parser refuses as problem+json.
    runner = ServiceRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_SECONDS
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        log.info(
            "service.started", service=service, host=settings.http_host, port=settings.http_port
        )
        await _until_stopped()
        app[DRAINING].set()
        log.info("service.draining", seconds=settings.http_drain_seconds)
        await asyncio.sleep(settings.http_drain_seconds)
    finally:
        await runner.cleanup()  # closes the port, waits for requests, runs the cleanups
        await wait_closed(timeout=5.0)  # Kafka clients whose start a shutdown cut short
    log.info("service.stopped", service=service)


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
