"""Kafka entrypoints of the monitor.

The raw tail hands the records of every topic to ``on_records``, all that one poll read
(every partition's) at a time. Like every service, the
monitor also keeps its replica of the API-key registry from the identity stream, through
the shared consumer runner, as its group ``monitor``; the tail is group ``monitor-tail``.
"""

from aiohttp import web

from services.monitor.events import handlers
from services.monitor.events.model import RawRecord
from services.monitor.keys import HUB, INDEX, LETTERS
from shared.auth.projector import IDENTITY_HANDLERS
from shared.consumer import HandlerTable


async def on_records(raws: list[RawRecord], app: web.Application) -> None:
    await handlers.record(raws, index=app[INDEX], letters=app[LETTERS], hub=app[HUB])


TOPIC_HANDLERS: dict[str, HandlerTable] = {"identity": IDENTITY_HANDLERS}
