"""Reads the broker for the streams overview without disturbing any consumer group.

Committed offsets come from ``committed()`` of a consumer configured with the group's id
that never subscribes: it sends OffsetFetch requests only, so it never joins the group or
triggers a rebalance. That works on Apache Kafka and on the embedded broker, whose answer
to the admin client's list_consumer_group_offsets aiokafka cannot decode. Listing and
describing groups use the admin client; where a broker refuses, the groups come from the
settings and their state reads 'unknown'.

The age of a group's oldest unconsumed record is the timestamp of the record the log holds
at its committed offset, read from the broker by a reader of no group (``peeker``). Not
from the event index: offsets start again at 0 when the broker comes back empty, and until
the tail has read the new log that far (for the tail's own group, whose committed offset
is the next record it reads, not before it reads it) the index holds only what an older
log had there, and answered with that record's time: an age of hours or days.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError, OffsetOutOfRangeError

from services.monitor.events.repository import EventIndex
from services.monitor.events.storable import record_time
from services.monitor.settings import MonitorSettings
from services.monitor.streams.model import (
    GroupStats,
    Member,
    PartitionStats,
    StreamsOverview,
    first_unconsumed,
    group_stats,
    log_ends,
    partition_lag,
)
from services.monitor.streams.tail import ConsumedEnds
from shared.errors import DomainError
from shared.logs import get_logger

log = get_logger(__name__)
Offsets = dict[TopicPartition, int]
Place = tuple[TopicPartition, int]
PEEK_MS = 1000
"""How long a look at the logs may wait: a record that is there comes at once; none comes only
where the log does not reach the offset (an end known from a log that is gone)."""


class BrokerUnanswered(DomainError):
    """The broker did not answer in time: the figures cannot be read now."""


class StreamInspector:
    def __init__(
        self,
        settings: MonitorSettings,
        index: EventIndex,
        own_groups: list[str],
        consumed: ConsumedEnds | None = None,
    ) -> None:
        self.settings, self.index, self.own_groups = settings, index, own_groups
        self.consumed = consumed or ConsumedEnds()
        servers = settings.kafka_bootstrap_servers
        self.offsets = AIOKafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
        self.admin = AIOKafkaAdminClient(bootstrap_servers=servers, client_id="jamp-monitor")
        # Assigned only while it reads; "none": a log that does not reach the offset any more
        # is said, not answered with the record at its start ("earliest") or none ("latest").
        self.peeker = AIOKafkaConsumer(
            bootstrap_servers=servers,
            enable_auto_commit=False,
            auto_offset_reset="none",
            fetch_max_wait_ms=100,
        )
        self.readers: dict[str, AIOKafkaConsumer] = {}
        self.lock = asyncio.Lock()  # one overview at a time: the clients are shared
        self.connected = False

    async def close(self) -> None:
        for reader in self.readers.values():
            await reader.stop()
        await self.offsets.stop()
        await self.peeker.stop()
        await self.admin.close()

    async def _connect(self) -> None:
        """On first use, so the monitor starts (and reports the outage) while Kafka is down."""
        if not self.connected:
            await self.offsets.start()
            await self.peeker.start()
            await self.admin.start()
            self.connected = True

    @contextlib.asynccontextmanager
    async def _broker_answering(self) -> AsyncIterator[None]:
        """One reading at a time (the clients are shared), bounded: a broker that hangs
        would otherwise hold every view and the alert watch behind it for minutes."""
        limit = self.settings.monitor_broker_timeout_seconds
        try:
            async with asyncio.timeout(limit), self.lock:
                yield
        except (TimeoutError, KafkaError) as error:
            reason = "no answer" if isinstance(error, TimeoutError) else type(error).__name__
            raise BrokerUnanswered(
                f"the broker did not answer within {limit:g} s ({reason}); retry shortly"
            ) from error

    async def overview(self, now: datetime) -> StreamsOverview:
        async with self._broker_answering():
            logs = await self._logs()
            stats = await self._partition_stats(logs.partitions, logs.start, logs.end, now)
            lags = await self._group_lags(logs, now)
        return StreamsOverview(at=now, partitions=stats, groups=lags, group_listing=logs.listing)

    async def group_lags(self, now: datetime) -> list[GroupStats]:
        """The groups' lag only (alerts, health), without the per-partition counts of the
        last minute and hour, which aggregate that much of the index each time."""
        async with self._broker_answering():
            return await self._group_lags(await self._logs(), now)

    async def _logs(self) -> "_Logs":
        await self._connect()
        partitions = await self._partitions()
        start = await self.offsets.beginning_offsets(partitions)
        reported = await self.offsets.end_offsets(partitions)
        groups, listing = await self._groups()
        described = await self._describe(groups)
        committed = {group: await self.committed(group, partitions) for group in groups}
        end = log_ends(reported, [self.consumed.ends, *committed.values()])
        return _Logs(partitions, start, end, listing, described, committed)

    async def _group_lags(self, logs: "_Logs", now: datetime) -> list[GroupStats]:
        places = {
            place for committed in logs.committed.values() for place in _behind(committed, logs)
        }
        try:
            written = await self._written_at(places)
        finally:
            self.peeker.unsubscribe()  # no fetching in the background between readings
        return [
            _group(group, logs.described.get(group), committed, logs, now, written)
            for group, committed in logs.committed.items()
        ]

    async def _written_at(self, places: set[Place]) -> dict[Place, datetime | None]:
        """When the record each log now holds at each place was written; None where the log
        does not reach it. Read in one look at every partition at once (groups at the same
        place share it; a partition with groups at several places takes one look more each),
        not a look per place: a desk lagging on many partitions at once is where it counts."""
        written: dict[Place, datetime | None] = {}
        remaining = sorted(places)  # a place is (TopicPartition, offset): tuples all through
        while remaining:
            look: Offsets = {}
            for partition, offset in remaining:
                look.setdefault(partition, offset)
            remaining = [place for place in remaining if look[place[0]] != place[1]]
            found = await self._first_records(look)
            written |= {
                (partition, offset): found.get(partition) for partition, offset in look.items()
            }
        return written

    async def _first_records(self, look: Offsets) -> dict[TopicPartition, datetime | None]:
        """The time of the first record at or after each offset (a compacted log's gap
        answers the next record, which is then the first one unconsumed)."""
        self.peeker.assign(list(look))
        for partition, offset in look.items():
            self.peeker.seek(partition, offset)
        found: dict[TopicPartition, datetime | None] = {}
        waiting = set(look)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PEEK_MS / 1000
        while waiting and (left := deadline - loop.time()) > 0:
            try:
                batch = await self.peeker.getmany(*waiting, timeout_ms=int(left * 1000))
            except OffsetOutOfRangeError as error:  # that log no longer reaches the offset
                out_of_range = set(error.args[0]) if error.args else set(waiting)
                waiting -= out_of_range
                continue
            for partition, records in batch.items():
                if records:
                    found[partition] = record_time(records[0].timestamp)
                    waiting.discard(partition)
        return found

    async def committed(
        self, group: str, partitions: list[TopicPartition]
    ) -> dict[TopicPartition, int | None]:
        """The group's committed offsets, read without joining it."""
        reader = await self._reader(group)
        # What committed() does for one partition, done for all in one OffsetFetch: one
        # round trip per group instead of one per partition keeps the overview fast.
        fetched = await reader._coordinator.fetch_committed_offsets(partitions)
        return {
            partition: offset.offset
            if (offset := fetched.get(partition)) and offset.offset >= 0
            else None
            for partition in partitions
        }

    async def _partitions(self) -> list[TopicPartition]:
        prefix = f"{self.settings.topic_prefix}."
        # A fresh metadata snapshot: topics created since the last call are included.
        cluster = await self.offsets._client.fetch_all_metadata()
        topics = sorted(name for name in cluster.topics() if name.startswith(prefix))
        return [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(cluster.partitions_for_topic(topic) or [])
        ]

    async def _partition_stats(
        self, partitions: list[TopicPartition], start: Offsets, end: Offsets, now: datetime
    ) -> list[PartitionStats]:
        minute = await self.index.counts_since(now - timedelta(minutes=1))
        hour = await self.index.counts_since(now - timedelta(hours=1))
        return [
            PartitionStats(
                topic=tp.topic,
                partition=tp.partition,
                start_offset=start[tp],
                end_offset=end[tp],
                last_minute=minute.get((tp.topic, tp.partition), 0),
                last_hour=hour.get((tp.topic, tp.partition), 0),
            )
            for tp in partitions
        ]

    async def _groups(self) -> tuple[list[str], str]:
        prefix = self.settings.group_prefix
        try:
            listed = await self.admin.list_consumer_groups()
        except Exception as error:  # a broker without ListGroups: fall back to the settings
            log.info("monitor.list_groups_unavailable", error=repr(error))
            known = [self.settings.group_id(name) for name in self.settings.monitor_services]
            return sorted({*known, *self.own_groups}), "settings"
        names = {group for group, protocol in listed if protocol in ("consumer", "")}
        return sorted(name for name in names if name.startswith(prefix)), "broker"

    async def _describe(self, groups: list[str]) -> dict[str, tuple[str, list[Member]]]:
        """Each group on its own: the embedded broker's answer for some groups fails to
        decode, and one such group must not hide the state of all the others."""
        described = {}
        for group in groups:
            try:
                [response] = await self.admin.describe_consumer_groups([group])
            except Exception as error:  # DescribeGroups refused: state stays 'unknown'
                log.info("monitor.describe_group_unavailable", group=group, error=repr(error))
                continue
            for _error, name, state, _ptype, _protocol, members in response.groups:
                described[name] = (state, [Member(member_id=m[0], client_id=m[1], host=m[2])
                                           for m in members])  # fmt: skip
        return described

    async def _reader(self, group: str) -> AIOKafkaConsumer:
        reader = self.readers.get(group)
        if reader is None:
            reader = AIOKafkaConsumer(
                bootstrap_servers=self.settings.kafka_bootstrap_servers,
                group_id=group,
                enable_auto_commit=False,
            )
            await reader.start()  # never subscribes: OffsetFetch only, no JoinGroup
            self.readers[group] = reader
        return reader


@dataclass(frozen=True)
class _Logs:
    """One look at the broker: the partitions, their log starts and ends, the groups and
    what each committed."""

    partitions: list[TopicPartition]
    start: Offsets
    end: Offsets
    listing: str
    described: dict[str, tuple[str, list[Member]]]
    committed: dict[str, dict[TopicPartition, int | None]]


def _behind(committed: dict[TopicPartition, int | None], logs: _Logs) -> list[Place]:
    """Where the group's first unconsumed record is, on each partition it lags on (the
    oldest unconsumed record's time matters only behind the end)."""
    return [
        (partition, first_unconsumed(offset, logs.start[partition]))
        for partition, offset in committed.items()
        if offset is not None
        and partition_lag(partition.topic, partition.partition, offset,
                          logs.start[partition], logs.end[partition], None).lag
    ]  # fmt: skip


def _group(
    group: str,
    described: tuple[str, list[Member]] | None,
    committed: dict[TopicPartition, int | None],
    logs: _Logs,
    now: datetime,
    written: dict[Place, datetime | None],
) -> GroupStats:
    state, members = described or ("unknown", [])
    lags = []
    for tp, offset in committed.items():
        if offset is None:
            continue  # a partition this group does not consume
        start, end = logs.start[tp], logs.end[tp]
        at = written.get((tp, first_unconsumed(offset, start)))
        lags.append(partition_lag(tp.topic, tp.partition, offset, start, end, at))
    return group_stats(group, state or "unknown", members, lags, now)
