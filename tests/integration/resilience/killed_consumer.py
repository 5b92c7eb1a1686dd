"""A consumer that is SIGKILLed in the middle of its transaction (run as a process by
``test_fast_takeover``): ``python -m tests.integration.resilience.killed_consumer``.

It reads its settings from the environment like a service, consumes the companies topic
as group ``takeover``, counts the event inside the handler's transaction and dies before
committing, which leaves that transaction open on the server."""

import asyncio
import os
import signal
from functools import partial

from aiohttp import web
from pymongo.asynchronous.collection import AsyncCollection

from shared.consumer import ConsumedEvent, ConsumerRunner, EventHandler, RetryPolicy
from shared.contracts.companies import CompanyVerified
from shared.dead_letters import DeadLetterPublisher
from shared.kafka import create_producer
from shared.metrics import ServiceMetrics
from shared.mongo import Document, MongoClient, create_client
from shared.settings import ServiceSettings
from shared.topics import Topics

GROUP = "takeover"


def counters(mongo: MongoClient, settings: ServiceSettings) -> AsyncCollection[Document]:
    return mongo[settings.database_name(GROUP)]["counters"]


def runner(settings: ServiceSettings, mongo: MongoClient, handler: EventHandler) -> ConsumerRunner:
    """The runner both the killed consumer and its successor use."""
    return ConsumerRunner(
        group_id=settings.group_id(GROUP),
        topics=[Topics(settings.topic_prefix).of("companies")],
        handlers={CompanyVerified: handler},
        mongo=mongo,
        processed=mongo[settings.database_name(GROUP)]["processed_events"],
        dead_letters=DeadLetterPublisher(partial(create_producer, settings, "dlq")),
        settings=settings,
        retry=RetryPolicy(0.05, 0.2, max_attempts=3),
        app=web.Application(),
        metrics=ServiceMetrics(),
    )


def counting(settings: ServiceSettings, mongo: MongoClient, die: bool) -> EventHandler:
    async def count(event: ConsumedEvent, app: web.Application) -> None:
        assert isinstance(event.payload, CompanyVerified)
        await counters(mongo, settings).update_one(
            {"_id": event.payload.company_id},
            {"$inc": {"n": 1}},
            upsert=True,
            session=event.session,
        )
        if die:
            os.kill(os.getpid(), signal.SIGKILL)

    return count


async def main() -> None:
    settings = ServiceSettings()
    mongo = create_client(settings.mongodb_uri)
    await runner(settings, mongo, counting(settings, mongo, die=True)).run()


if __name__ == "__main__":
    asyncio.run(main())
