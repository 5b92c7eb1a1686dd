"""Events the monitor publishes on ``jamp.monitor.v1``: operator actions and lag alerts."""

from shared.contracts.base import EventPayload, published_as
from shared.contracts.identity import Actor


@published_as("jamp.monitor.dead_letter_replayed.v1", stream="monitor")
class DeadLetterReplayed(EventPayload):
    """An operator sent a dead-lettered record back to its original topic."""

    dead_letter_id: str
    target_topic: str
    """Where it was sent: the dead-letter topic's own source, never a header's claim."""
    original_topic: str
    original_partition: int
    original_offset: int
    replayed_partition: int
    replayed_offset: int
    replayed_type: str | None = None
    """The CloudEvents type of the replayed record, when it has a readable one."""
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``."""


@published_as("jamp.monitor.dead_letter_discarded.v1", stream="monitor")
class DeadLetterDiscarded(EventPayload):
    """An operator gave up on a dead-lettered record, with a reason."""

    dead_letter_id: str
    original_topic: str
    reason: str
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``."""


@published_as("jamp.monitor.lag_threshold_changed.v1", stream="monitor")
class LagThresholdChanged(EventPayload):
    """The lag thresholds of a consumer group were set (null: that limit is off; both null:
    the group's thresholds were removed)."""

    group: str
    max_lag: int | None
    max_age_seconds: float | None
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``."""


@published_as("jamp.monitor.lag_alert_raised.v1", stream="monitor")
class LagAlertRaised(EventPayload):
    """A consumer group crossed one of its lag thresholds."""

    group: str
    lag: int
    oldest_age_seconds: float | None
    reasons: list[str]


@published_as("jamp.monitor.lag_alert_cleared.v1", stream="monitor")
class LagAlertCleared(EventPayload):
    """A consumer group is back under its lag thresholds."""

    group: str
    lag: int
    oldest_age_seconds: float | None
