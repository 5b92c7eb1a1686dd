"""After a round: what the clients were told against what every store holds."""

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.chaos.desk import Desk
from shared.chaos.load import Answer
from shared.mongo import MongoClient, create_client
from shared.topics import Topics, dead_letter_topic

# A round is settled when everything arrived, or when nothing arrived for this long.
STALL_SECONDS = 60.0


@dataclass(frozen=True)
class Reconciliation:
    accepted: int
    lost: int
    duplicated: int
    wrong_answers: int
    extra_dead_letters: int
    outbox_pending: int


async def reconcile(desk: Desk, answers: list[Answer], poison: int) -> Reconciliation:
    accepted = {a.company_id: a for a in answers if a.status == 201 and a.company_id}
    mongo = create_client(desk.settings.mongodb_uri)
    try:
        await _settled(desk, mongo, set(accepted))
        stored = await _stored(desk, mongo, [a.number for a in answers])
        projected = await _projected(desk, mongo, set(accepted))
        pending = await _pending(desk, mongo)
    finally:
        await mongo.close()
    by_number = Counter(number for number, _ in stored)
    stored_ids = {company_id for _, company_id in stored}
    lost = len(set(accepted) - stored_ids) + len(set(accepted) - projected)
    duplicated = sum(n - 1 for n in by_number.values()) + len(stored_ids - set(accepted))
    wrong = sum(1 for a in answers if a.status != 201) + await _keys_refused(desk, accepted)
    dead = await _dead_letters(desk)
    return Reconciliation(len(accepted), lost, duplicated, wrong, dead - poison, pending)


async def _settled(desk: Desk, mongo: MongoClient, accepted: set[str]) -> None:
    """Until every outbox is empty and matching knows every accepted company, or nothing
    moved for ``STALL_SECONDS``: a slow projection is late, not lost."""
    loop = asyncio.get_running_loop()
    seen, moved = -1, loop.time()
    while loop.time() - moved < STALL_SECONDS:
        try:
            projected = await _projected(desk, mongo, accepted)
            if await _pending(desk, mongo) == 0 and projected == accepted:
                return
            if len(projected) > seen:
                seen, moved = len(projected), loop.time()
        except Exception:  # the database is still coming back
            pass
        await asyncio.sleep(0.5)


async def _stored(desk: Desk, mongo: MongoClient, numbers: list[str]) -> list[tuple[str, str]]:
    companies = mongo[desk.settings.database_name("companies")]["companies"]
    cursor = companies.find({"corporate_number": {"$in": numbers}}, {"corporate_number": 1})
    return [(document["corporate_number"], document["_id"]) async for document in cursor]


async def _projected(desk: Desk, mongo: MongoClient, accepted: set[str]) -> set[str]:
    read_model = mongo[desk.settings.database_name("matching")]["companies"]
    cursor = read_model.find({"_id": {"$in": sorted(accepted)}}, {"_id": 1})
    return {document["_id"] async for document in cursor}


async def _pending(desk: Desk, mongo: MongoClient) -> int:
    total = 0
    for owner in ("companies", "matching"):
        outbox = mongo[desk.settings.database_name(owner)]["outbox"]
        total += await outbox.count_documents({"sent_at": None})
    return total


async def _keys_refused(desk: Desk, accepted: dict[str, Answer]) -> int:
    """Every key a client holds last must open its own company."""
    refused = 0
    async with aiohttp.ClientSession() as http:
        for company_id, answer in accepted.items():
            headers = {"Authorization": f"Bearer {answer.api_key}"}
            url = f"{desk.urls['companies']}/companies/{company_id}"
            async with http.get(url, headers=headers) as response:
                refused += response.status != 200
    return refused


async def _dead_letters(desk: Desk) -> int:
    """Records in every dead-letter topic, read from the start until quiet."""
    topics = [dead_letter_topic(name) for name in map(Topics(desk.settings.topic_prefix).of,
              ("companies", "identity", "proposals", "matches"))]  # fmt: skip
    consumer = AIOKafkaConsumer(
        bootstrap_servers=desk.stack.kafka_bootstrap, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in consumer.partitions_for_topic(topic) or ()
        ]
        if not partitions:
            return 0
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        # Dead-lettering is at least once (a rebalance before the commit repeats it), so
        # letters count per original record.
        originals: set[tuple[bytes, ...]] = set()
        while batch := await consumer.getmany(timeout_ms=2000):
            for records in batch.values():
                originals.update(_origin(record.headers) for record in records)
        return len(originals)
    finally:
        await consumer.stop()


def _origin(headers: Sequence[tuple[str, bytes]]) -> tuple[bytes, ...]:
    found = dict(headers)
    names = ("dlq.original_topic", "dlq.original_partition", "dlq.original_offset")
    return tuple(found.get(name, b"") for name in names)
