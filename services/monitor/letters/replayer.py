"""Sends dead letters back to their topics with a producer started on first use, so the
monitor starts (and shows the outage) while Kafka is down."""

from shared.kafka import LazyProducer, ProducerFactory


class Replayer:
    def __init__(self, producer_factory: ProducerFactory) -> None:
        self.producer = LazyProducer(producer_factory)

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> tuple[int, int]:
        """Publish and wait for the ack; the record's (partition, offset)."""
        producer = await self.producer.get()
        try:
            metadata = await producer.send_and_wait(topic, value=value, key=key, headers=headers)
        except Exception:
            await self.close()  # a fresh producer next time
            raise
        return metadata.partition, metadata.offset

    async def close(self) -> None:
        await self.producer.close()
