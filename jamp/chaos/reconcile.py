"""After a round: what the clients were told against what every store holds.

Read straight from each service's own database, the truth of what it applied: the companies
service's profiles and keys; every consumer's state of them (matching's and inquiries' read
models, the notifications directory, the monitor's event index, each service's key
replica); the outboxes; the dead letters (the monitor's ledger and the topics themselves).
"""

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp
from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from jamp.chaos.desk import Desk
from jamp.chaos.faults import POISON_CONSUMERS
from jamp.chaos.load import Answer
from jamp.dev import OUTBOX_OWNERS, SERVICES
from shared.kafka import started
from shared.mongo import Document, MongoClient, create_client
from shared.outbox import Outbox
from shared.settings import ServiceSettings
from shared.topics import Topics, dead_letter_topic, streams

# A round is settled when everything arrived, or when nothing moved for this long.
STALL_SECONDS = 60.0
REGISTERED = "jamp.company.registered.v1"
# Answers that honestly say "nothing happened, ask again" (the database is away).
HONEST_RETRIES = {503}
Letter = tuple[str | None, str | None]
"""A dead letter as (record key, consumer group): dead-lettering is at least once (a
rebalance before the commit repeats it), so letters count per record and group."""


@dataclass(frozen=True)
class Reconciliation:
    accepted: int
    lost: int
    duplicated: int
    wrong_answers: int
    extra_dead_letters: int
    outbox_pending: int
    missing: dict[str, int] = field(default_factory=dict)
    """Per place (``database.collection``): accepted companies (or poison letters) it lacks."""

    @property
    def settled(self) -> bool:
        return self.lost == 0 and self.outbox_pending == 0


async def reconcile(desk: Desk, answers: list[Answer], poison: list[str]) -> Reconciliation:
    """Waits until the desk settled (or stalled), then counts. ``poison``: the keys of every
    poison record sent to this desk so far."""
    mongo = create_client(desk.settings.mongodb_uri)
    try:
        look = await settle(Look(desk.settings, mongo, answers, poison))
    finally:
        await mongo.close()
    refused = await _keys_refused(desk, [a for a in answers if a.status == 201])
    stray = len(await _stray_letters_in_topics(desk, poison) | look.stray_letters)
    counted = look.result
    wrong = counted.wrong_answers + refused
    return Reconciliation(counted.accepted, counted.lost, counted.duplicated, wrong, stray,
                          counted.outbox_pending, counted.missing)  # fmt: skip


async def settle(look: "Look") -> "Look":
    """Looks until nothing is missing, or nothing moved for ``STALL_SECONDS``: a slow
    projection is late, not lost. A look while the database is away is no look."""
    loop = asyncio.get_running_loop()
    best: int | None = None
    moved = loop.time()
    while True:
        try:
            await look.take()
        except PyMongoError:  # the database is still coming back
            if loop.time() - moved >= STALL_SECONDS:
                raise
        else:
            gap = look.result.lost + look.result.outbox_pending
            if gap == 0:
                return look
            if best is None or gap < best:
                best, moved = gap, loop.time()
            elif loop.time() - moved >= STALL_SECONDS:
                return look
        await asyncio.sleep(0.5)


@dataclass
class Look:
    settings: ServiceSettings
    mongo: MongoClient
    answers: list[Answer]
    poison: list[str]
    result: Reconciliation = field(init=False)
    stray_letters: set[Letter] = field(init=False, default_factory=set)

    def _collection(self, owner: str, name: str) -> AsyncCollection[Document]:
        return self.mongo[self.settings.database_name(owner)][name]

    async def take(self) -> None:
        accepted = {a.company_id for a in self.answers if a.status == 201 and a.company_id}
        stored = await self._stored()
        copies = Counter(number for number, _ in stored)
        duplicated = sum(n - 1 for n in copies.values())
        missing: dict[str, set[str]] = {"companies.companies": accepted - {c for _, c in stored}}
        missing |= await self._read_models(accepted)
        indexed, twice = await self._indexed(accepted)
        missing["monitor.events"] = accepted - indexed
        missing |= await self._key_replicas(accepted)
        lost = set().union(*missing.values())
        absent_letters, self.stray_letters = await self._letters()
        gaps = {place: len(ids) for place, ids in missing.items() if ids}
        if absent_letters:
            gaps["monitor.dead_letters"] = len(absent_letters)
        self.result = Reconciliation(
            accepted=len(accepted),
            lost=len(lost) + len(absent_letters),
            duplicated=duplicated + twice,
            wrong_answers=sum(map(_wrong, self.answers)),
            extra_dead_letters=len(self.stray_letters),
            outbox_pending=await self._pending(),
            missing=gaps,
        )

    async def _stored(self) -> list[tuple[str, str]]:
        numbers = [a.number for a in self.answers]
        cursor = self._collection("companies", "companies").find(
            {"corporate_number": {"$in": numbers}}, {"corporate_number": 1}
        )
        return [(document["corporate_number"], document["_id"]) async for document in cursor]

    async def _read_models(self, accepted: set[str]) -> dict[str, set[str]]:
        """Each consumer's own record of every accepted company, keyed by its id."""
        places = {("matching", "companies"): "", ("inquiries", "known_companies"): "",
                  ("notifications", "directory"): "company:"}  # fmt: skip
        missing = {}
        for (owner, name), prefix in places.items():
            ids = sorted(prefix + company for company in accepted)
            cursor = self._collection(owner, name).find({"_id": {"$in": ids}}, {"_id": 1})
            present = {document["_id"].removeprefix(prefix) async for document in cursor}
            missing[f"{owner}.{name}"] = accepted - present
        return missing

    async def _indexed(self, accepted: set[str]) -> tuple[set[str], int]:
        """Companies whose registration the monitor indexed; registrations indexed twice
        (under two event ids: the same record read again keeps its place)."""
        cursor = self._collection("monitor", "events").find(
            {"type": REGISTERED, "subject": {"$in": sorted(accepted)}}, {"subject": 1}
        )
        seen = Counter([document["subject"] async for document in cursor])
        return set(seen), sum(n - 1 for n in seen.values())

    async def _key_replicas(self, accepted: set[str]) -> dict[str, set[str]]:
        """Every service's key replica holds each key the companies service issued for an
        accepted company, revoked exactly when the source's is (a retried registration
        rotates the key)."""
        source = self._collection("companies", "api_keys").find(
            {"scope": {"$in": sorted(accepted)}}, {"scope": 1, "revoked_at": 1}
        )
        keys = {d["_id"]: (d["scope"], d.get("revoked_at") is None) async for d in source}
        missing = {}
        for owner in (service for service in SERVICES if service != "companies"):
            cursor = self._collection(owner, "api_keys").find(
                {"_id": {"$in": sorted(keys)}}, {"revoked_at": 1}
            )
            held = {d["_id"]: d.get("revoked_at") is None async for d in cursor}
            astray = {key for key, (_, live) in keys.items() if held.get(key) != live}
            missing[f"{owner}.api_keys"] = {keys[key][0] for key in astray}
        return missing

    async def _letters(self) -> tuple[set[Letter], set[Letter]]:
        """Poison letters the monitor's ledger lacks, and letters it holds that are no
        injected poison."""
        cursor = self._collection("monitor", "dead_letters").find(
            {}, {"key": 1, "consumer_group": 1}
        )
        held = {(d.get("key"), d.get("consumer_group")) async for d in cursor}
        expected = _expected_letters(self.settings, self.poison)
        return expected - held, held - expected

    async def _pending(self) -> int:
        outboxes = [Outbox(self._collection(owner, "outbox")) for owner in OUTBOX_OWNERS]
        return sum([await outbox.backlog() for outbox in outboxes])


def _wrong(answer: Answer) -> bool:
    """A final answer other than 201 (every request of the load is valid and new), or a
    server error along the way that was not an honest "ask again"."""
    return answer.status != 201 or any(s not in HONEST_RETRIES for s in answer.retried_on)


def _expected_letters(settings: ServiceSettings, poison: list[str]) -> set[Letter]:
    groups = [settings.group_id(service) for service in POISON_CONSUMERS]
    return {(key, group) for key in poison for group in groups}


async def _keys_refused(desk: Desk, accepted: list[Answer]) -> int:
    """Every key a client holds last must open its own company."""
    refused = 0
    async with aiohttp.ClientSession() as http:
        for answer in accepted:
            headers = {"Authorization": f"Bearer {answer.api_key}"}
            url = f"{desk.urls['companies']}/companies/{answer.company_id}"
            async with http.get(url, headers=headers) as response:
                refused += response.status != 200
    return refused


async def _stray_letters_in_topics(desk: Desk, poison: list[str]) -> set[Letter]:
    """Records in every dead-letter topic that are no injected poison, read from the start
    until quiet (a broker restart empties the topics: the monitor's ledger keeps them)."""
    topics = [dead_letter_topic(Topics(desk.settings.topic_prefix).of(s)) for s in streams()]
    consumer = await started(
        AIOKafkaConsumer(bootstrap_servers=desk.stack.kafka_bootstrap, enable_auto_commit=False)
    )
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in consumer.partitions_for_topic(topic) or ()
        ]
        if not partitions:
            return set()
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        letters: set[Letter] = set()
        while batch := await consumer.getmany(timeout_ms=2000):
            for records in batch.values():
                letters.update(_letter(record.key, record.headers) for record in records)
        return letters - _expected_letters(desk.settings, poison)
    finally:
        await consumer.stop()


def _letter(key: bytes | None, headers: Sequence[tuple[str, bytes]]) -> Letter:
    group = dict(headers).get("dlq.consumer_group")
    return (key.decode(errors="replace") if key else None,
            group.decode() if group else None)  # fmt: skip
