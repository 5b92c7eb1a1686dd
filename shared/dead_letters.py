"""Dead-lettering: a record no handler can accept goes to ``<topic>.dlq``, untouched.

The record keeps its key, value and original headers; ``dlq.*`` headers add why it failed
and where it came from, so the monitor can show it and replay it to the source topic.
"""

import asyncio

from aiokafka import ConsumerRecord

from shared.clock import utc_now
from shared.errors import describe
from shared.kafka import LazyProducer, ProducerFactory
from shared.logs import get_logger
from shared.topics import dead_letter_topic

log = get_logger(__name__)
RETRY_SECONDS = 1.0


def dead_letter_headers(
    record: ConsumerRecord, group_id: str, error: BaseException
) -> list[tuple[str, bytes]]:
    """The original headers plus the failure (never the input that failed) and the origin."""
    failure = {
        "dlq.error": describe(error)[:4000],
        "dlq.error_type": type(error).__name__,
        "dlq.original_topic": record.topic,
        "dlq.original_partition": str(record.partition),
        "dlq.original_offset": str(record.offset),
        "dlq.consumer_group": group_id,
        "dlq.failed_at": utc_now().isoformat(),
    }
    return [*record.headers, *((name, value.encode()) for name, value in failure.items())]


class DeadLetterPublisher:
    def __init__(self, producer_factory: ProducerFactory) -> None:
        self.producer = LazyProducer(producer_factory)

    async def publish(self, record: ConsumerRecord, group_id: str, error: BaseException) -> None:
        """Publish and wait for the broker's ack; retried until it lands (or we are cancelled),
        because committing past a record that is in no DLQ would lose it."""
        log.error("consumer.dead_lettered", error=describe(error), offset=record.offset)
        headers = dead_letter_headers(record, group_id, error)
        while True:
            try:
                producer = await self.producer.get()
                await producer.send_and_wait(
                    dead_letter_topic(record.topic),
                    value=record.value,
                    key=record.key,
                    headers=headers,
                )
                return
            except Exception as failure:  # broker trouble of any kind: retry
                log.warning("dlq.publish_failed", error=repr(failure))
                await self.close()
                await asyncio.sleep(RETRY_SECONDS)

    async def close(self) -> None:
        await self.producer.close()
