"""Sends dead letters back to their topics with a producer started on first use, so the
monitor starts (and shows the outage) while Kafka is down."""

from collections.abc import Callable

from aiokafka import AIOKafkaProducer


class Replayer:
    def __init__(self, producer_factory: Callable[[], AIOKafkaProducer]) -> None:
        self.producer_factory = producer_factory
        self.producer: AIOKafkaProducer | None = None

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> tuple[int, int]:
        """Publish and wait for the ack; the record's (partition, offset)."""
        producer = await self._producer()
        try:
            metadata = await producer.send_and_wait(topic, value=value, key=key, headers=headers)
        except Exception:
            await self.close()  # a fresh producer next time
            raise
        return metadata.partition, metadata.offset

    async def _producer(self) -> AIOKafkaProducer:
        if self.producer is None:
            producer = self.producer_factory()
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self.producer = producer
        return self.producer

    async def close(self) -> None:
        if self.producer is not None:
            producer, self.producer = self.producer, None
            await producer.stop()
