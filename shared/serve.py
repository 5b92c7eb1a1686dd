"""Run one service process: JSON logs, its app, graceful shutdown on SIGTERM / Ctrl-C."""

from collections.abc import Callable

from aiohttp import web

from shared.logs import configure_logging, get_logger
from shared.settings import MissingSecret, ServiceSettings

AppFactory = Callable[[ServiceSettings], web.Application]


def serve(service: str, create_app: AppFactory) -> None:
    """Blocks until SIGTERM/SIGINT; aiohttp then stops intake and runs the cleanup contexts
    (consumers finish and commit their batch, the relay and clients close)."""
    settings = ServiceSettings()
    configure_logging(settings.log_level, settings.log_json)
    log = get_logger(service)
    try:
        app = create_app(settings)
    except MissingSecret as missing:
        log.error("service.refused_to_start", service=service, reason=str(missing))
        raise SystemExit(f"{service} refused to start: {missing}") from None

    async def announce(app: web.Application) -> None:
        log.info(
            "service.started", service=service, host=settings.http_host, port=settings.http_port
        )

    app.on_startup.append(announce)
    web.run_app(
        app,
        host=settings.http_host,
        port=settings.http_port,
        access_log=None,  # the request middleware logs every request as JSON
        print=None,
        shutdown_timeout=15,
    )
