"""The streams overview: offsets, rates, consumer groups and their lag. Pure models and rules."""

from collections.abc import Hashable, Iterable, Mapping
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, Field

Partition = TypeVar("Partition", bound=Hashable)


class PartitionStats(BaseModel):
    topic: str
    partition: int
    start_offset: int
    end_offset: int
    last_minute: int = Field(description="Records seen in the last minute")
    last_hour: int = Field(description="Records seen in the last hour")


class PartitionLag(BaseModel):
    topic: str
    partition: int
    committed: int | None = Field(description="The group's next offset; null: never committed")
    end_offset: int
    lag: int
    oldest_unconsumed_at: datetime | None = Field(
        description="Timestamp of the first record the group has not consumed"
    )


class Member(BaseModel):
    member_id: str
    client_id: str
    host: str


class GroupStats(BaseModel):
    group: str
    state: str = Field(description="From the broker; 'unknown' where it cannot say")
    members: list[Member]
    partitions: list[PartitionLag]
    lag: int
    oldest_age_seconds: float | None = Field(
        description="Age of the oldest record some partition still has to consume"
    )


class StreamsOverview(BaseModel):
    at: datetime
    partitions: list[PartitionStats]
    groups: list[GroupStats]
    group_listing: str = Field(
        description="'broker' when the broker listed the groups, 'settings' when derived"
    )


def log_ends(
    reported: Mapping[Partition, int], known: Iterable[Mapping[Partition, int | None]]
) -> dict[Partition, int]:
    """Each partition's log end: what the broker reports, or more where something proves
    more. Every offset somebody consumed up to (a group's committed offset, the next
    offset after the last record the monitor read) is at most the log end, so the highest
    of them is a true lower bound even where a broker's "latest" answer is wrong (the
    embedded one reports the start of the last written batch + 1)."""
    ends = dict(reported)
    for offsets in known:
        for partition, offset in offsets.items():
            if partition in ends and offset is not None:
                ends[partition] = max(ends[partition], offset)
    return ends


def first_unconsumed(committed: int | None, start: int) -> int:
    """Where a group's first unconsumed record sits: at its committed offset, or at the log's
    start where it committed nothing or the log no longer reaches back that far."""
    return start if committed is None else max(committed, start)


def partition_lag(
    topic: str,
    partition: int,
    committed: int | None,
    start: int,
    end: int,
    oldest_at: datetime | None,
) -> PartitionLag:
    """Lag counts from the committed offset, or from the log's start if nothing was committed."""
    lag = max(0, end - first_unconsumed(committed, start))
    return PartitionLag(
        topic=topic,
        partition=partition,
        committed=committed,
        end_offset=end,
        lag=lag,
        oldest_unconsumed_at=oldest_at if lag else None,
    )


def group_stats(
    group: str, state: str, members: list[Member], partitions: list[PartitionLag], now: datetime
) -> GroupStats:
    ages = [
        (now - lag.oldest_unconsumed_at).total_seconds()
        for lag in partitions
        if lag.oldest_unconsumed_at is not None
    ]
    return GroupStats(
        group=group,
        state=state,
        members=members,
        partitions=partitions,
        lag=sum(lag.lag for lag in partitions),
        oldest_age_seconds=max(ages) if ages else None,
    )
