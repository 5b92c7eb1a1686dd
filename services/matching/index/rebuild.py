"""``jamp matching rebuild``: fresh read models from the companies and proposals topics read
from their beginning, then every open proposal's list chosen again (changes published
through the outbox like any other). Matches, answers and meetings are the service's own
state and stay; processed-event markers stay too, so the running consumer is unaffected."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.matching.history.repository import TrackRecord
from services.matching.index.matchmaker import Matchmaker
from services.matching.readmodel import proposal_with_changes, with_changes
from services.matching.repository import IndexClock, MatchRepository, ReadModels
from services.matching.sessions.repository import SessionRepository
from services.matching.settings import MatchingSettings
from shared.contracts import EventPayload
from shared.contracts.companies import (
    CompanyRegistered,
    CompanySuspended,
    CompanyUpdated,
    CompanyVerified,
)
from shared.contracts.proposals import (
    CityAdded,
    ProposalDrafted,
    ProposalStatusChanged,
    ProposalSubmitted,
    ProposalUpdated,
)
from shared.envelope import Envelope, UnknownEventType
from shared.kafka import started
from shared.mongo import create_client
from shared.outbox import Outbox
from shared.platform import Platform, Trace, unit_of_work
from shared.topics import Topics

SERVICE = "matching"
REBUILD_SLICE = 25
"""Lists chosen again per transaction: a transaction stays small enough to commit fast."""


@dataclass
class Rebuilt:
    events: int = 0
    proposals_rescored: int = 0


@asynccontextmanager
async def offline_platform(settings: MatchingSettings) -> AsyncIterator[Platform]:
    """The matching database and outbox for a command run beside the service."""
    mongo = create_client(settings.mongodb_uri)
    database = mongo[settings.database_name(SERVICE)]
    topics = Topics(settings.topic_prefix)
    try:
        yield Platform(SERVICE, settings, mongo, database, Outbox(database["outbox"]), topics)
    finally:
        await mongo.close()


async def rebuild(settings: MatchingSettings) -> Rebuilt:
    async with offline_platform(settings) as platform:
        return await _rebuild(platform, settings)


async def _rebuild(platform: Platform, settings: MatchingSettings) -> Rebuilt:
    read_models, matches = ReadModels(platform.database), MatchRepository(platform.database)
    done = Rebuilt()
    await read_models.clear()
    topics = [platform.topics.of("companies"), platform.topics.of("proposals")]
    for envelope in await read_from_start(settings, topics):
        try:
            payload = envelope.payload()
        except (UnknownEventType, ValueError):
            continue  # a type this build does not know, or a poison event: the DLQ has it
        await project(payload, read_models)
        done.events += 1
    done.proposals_rescored = await rescore_all(platform, read_models, matches, settings)
    return done


async def read_from_start(settings: MatchingSettings, topics: list[str]) -> list[Envelope]:
    """Every record now on the topics, outside any consumer group, in offset order."""
    consumer = await started(
        AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
        )
    )
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in consumer.partitions_for_topic(topic) or []
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        envelopes: list[Envelope] = []
        for partition in partitions:
            while await consumer.position(partition) < ends[partition]:
                batch = await consumer.getmany(partition, timeout_ms=500)
                envelopes += [Envelope.from_bytes(r.value) for r in batch.get(partition, [])]
        return envelopes
    finally:
        await consumer.stop()


async def project(payload: EventPayload, read_models: ReadModels) -> None:
    """An event's effect on the read models alone (the scoring runs once, at the end)."""
    if isinstance(payload, CompanyRegistered):
        await read_models.put_company(payload.company, None)
    elif isinstance(payload, CompanyUpdated | CompanyVerified | CompanySuspended):
        changes = payload.changes if isinstance(payload, CompanyUpdated) else {}
        if isinstance(payload, CompanyVerified | CompanySuspended):
            changes = {
                "status": "verified" if isinstance(payload, CompanyVerified) else "suspended"
            }
        current = await read_models.company(payload.company_id)
        if current is not None:
            await read_models.put_company(with_changes(current, payload.version, changes), None)
    elif isinstance(payload, CityAdded):
        await read_models.put_city(payload.city, None)
    elif isinstance(payload, ProposalDrafted | ProposalSubmitted):
        await read_models.put_proposal(payload.proposal, None)
    elif isinstance(payload, ProposalUpdated | ProposalStatusChanged):
        changes = (
            payload.changes
            if isinstance(payload, ProposalUpdated)
            else {"status": payload.to_status}
        )
        found = await read_models.proposal(payload.proposal_id)
        if found is not None:
            await read_models.put_proposal(
                proposal_with_changes(found, payload.version, changes), None
            )


async def rescore_all(
    platform: Platform,
    read_models: ReadModels,
    matches: MatchRepository,
    settings: MatchingSettings,
    reason: str = "rebuilt",
    actor: str = "matching:rebuild",
) -> int:
    """The index built afresh from the new read models and every open list chosen again."""
    database = platform.database
    maker = Matchmaker(
        read_models,
        matches,
        SessionRepository(database),
        IndexClock(database),
        settings.list_rules(),
        settings.stats_schedule(),
        settings.weights(),
        TrackRecord(database),
    )
    await maker.start()
    return await rescore_lists(platform, maker, reason, actor)


async def rescore_lists(platform: Platform, maker: Matchmaker, reason: str, actor: str) -> int:
    """Every open list of a started index chosen again, a slice of lists per transaction.
    The first one starts a new rebuild epoch on the index clock, so every running replica
    builds its index again (new track record, new read models) before its next event."""
    trace = Trace(correlation_id=None, traceparent=None, actor=actor)
    proposals = list(maker.pool.proposals)
    for start in range(0, max(len(proposals), 1), REBUILD_SLICE):
        async with unit_of_work(platform, trace) as uow, maker.batch(uow.session):
            await maker.sync(uow)
            if start == 0:
                await maker.announce_rebuild(uow)
            chunk = proposals[start : start + REBUILD_SLICE]
            await maker.refresh_lists(chunk, lambda _: [reason], uow)
    return len(proposals)
