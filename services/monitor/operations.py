"""Operator actions and alerting: each change is recorded, audited and published together
(one transaction with the outbox), so the audit log and the monitor stream always agree."""

from dataclasses import replace
from datetime import UTC, datetime

from services.monitor.alerts import Alert, Threshold, breaches, verdict
from services.monitor.handlers import DeadLetterNotFound
from services.monitor.ledgers import AlertStore, AuditLog, ThresholdStore
from services.monitor.letters import Replay, replay_headers, replay_refusal
from services.monitor.replayer import Replayer
from services.monitor.repository import DeadLetterStore
from services.monitor.streams import StreamsOverview
from shared.contracts.monitor import (
    DeadLetterDiscarded,
    DeadLetterReplayed,
    LagAlertCleared,
    LagAlertRaised,
    LagThresholdChanged,
)
from shared.errors import DomainError
from shared.platform import Platform, Trace, unit_of_work


class LetterNotPending(DomainError):
    pass


class ReplayRefused(DomainError):
    pass


async def replay_dead_letter(
    letter_id: str,
    *,
    letters: DeadLetterStore,
    replayer: Replayer,
    platform: Platform,
    audit: AuditLog,
    trace: Trace,
) -> Replay:
    """Send the record, untouched, back to the topic its DLQ belongs to, then record that
    it was. A crash between the two replays it again later: consumers are idempotent."""
    found = await letters.get(letter_id)
    if found is None:
        raise DeadLetterNotFound(f"no dead letter {letter_id}")
    letter, value = found
    if letter.status == "discarded":
        raise LetterNotPending(f"dead letter {letter_id} was discarded")
    refusal = replay_refusal(letter, platform.topics)
    if refusal is not None:
        raise ReplayRefused(f"dead letter {letter_id} may not be replayed: {refusal}")
    target = letter.original_topic
    key = None if letter.key is None else letter.key.encode()
    at = datetime.now(UTC)
    partition, offset = await replayer.send(
        target, key, value, replay_headers(letter.headers, letter.id, at)
    )
    replay = Replay(at=at, by=trace.actor, by_person=trace.by, partition=partition, offset=offset)
    event = DeadLetterReplayed(
        dead_letter_id=letter.id,
        target_topic=target,
        original_topic=letter.original_topic,
        original_partition=letter.original_partition
        if letter.original_partition is not None
        else -1,
        original_offset=letter.original_offset if letter.original_offset is not None else -1,
        replayed_partition=partition,
        replayed_offset=offset,
        replayed_type=letter.event_type,
        by=trace.actor,
        by_person=trace.by,
    )
    async with unit_of_work(platform, _own(trace, letter.correlation_id)) as uow:
        await letters.record_replay(letter.id, replay, uow.session)
        details = {"target_topic": target, "partition": partition, "offset": offset}
        await audit.record(trace.by, "dead_letter.replay", letter.id, details, uow.session)
        await uow.publish(letter.id, event)
    return replay


async def discard_dead_letter(
    letter_id: str,
    reason: str,
    *,
    letters: DeadLetterStore,
    platform: Platform,
    audit: AuditLog,
    trace: Trace,
) -> None:
    async with unit_of_work(platform, trace) as uow:
        found = await letters.get(letter_id)
        if found is None:
            raise DeadLetterNotFound(f"no dead letter {letter_id}")
        if not await letters.record_discard(letter_id, reason, trace.actor, uow.session):
            raise LetterNotPending(f"dead letter {letter_id} is {found[0].status}, not pending")
        details = {"reason": reason}
        await audit.record(trace.by, "dead_letter.discard", letter_id, details, uow.session)
        event = DeadLetterDiscarded(
            dead_letter_id=letter_id,
            original_topic=found[0].original_topic,
            reason=reason,
            by=trace.actor,
            by_person=trace.by,
        )
        await uow.publish(letter_id, event)


async def set_threshold(
    group: str,
    threshold: Threshold,
    *,
    thresholds: ThresholdStore,
    platform: Platform,
    audit: AuditLog,
    trace: Trace,
) -> None:
    async with unit_of_work(platform, trace) as uow:
        await thresholds.set(group, threshold, uow.session)
        details = threshold.model_dump()
        await audit.record(trace.by, "threshold.set", group, details, uow.session)
        await uow.publish(
            group, LagThresholdChanged(group=group, by=trace.actor, by_person=trace.by, **details)
        )


async def evaluate_alerts(
    overview: StreamsOverview,
    *,
    thresholds: ThresholdStore,
    alerts: AlertStore,
    platform: Platform,
) -> list[Alert]:
    """Raise or clear each group's alert; returns the alerts that changed."""
    groups = {stats.group: stats for stats in overview.groups}
    changed = []
    for threshold in await thresholds.all():
        stats = groups.get(threshold.group)
        if stats is None:
            continue  # the group is gone or not yet seen: nothing to measure
        current = await alerts.get(threshold.group)
        active = current is not None and current.active
        reasons = breaches(threshold, stats)
        decision = verdict(reasons, active)
        if decision == "keep":
            continue
        alert = Alert(
            group=stats.group,
            active=decision == "raise",
            raised_at=overview.at if decision == "raise" or current is None else current.raised_at,
            cleared_at=overview.at if decision == "clear" else None,
            lag=stats.lag,
            oldest_age_seconds=stats.oldest_age_seconds,
            reasons=reasons,
        )
        await _publish_alert(alert, alerts, platform)
        changed.append(alert)
    return changed


async def _publish_alert(alert: Alert, alerts: AlertStore, platform: Platform) -> None:
    measured = {
        "group": alert.group,
        "lag": alert.lag,
        "oldest_age_seconds": alert.oldest_age_seconds,
    }
    event = (
        LagAlertRaised(**measured, reasons=alert.reasons)
        if alert.active
        else LagAlertCleared(**measured)
    )
    async with unit_of_work(platform, Trace(None, None, actor="monitor")) as uow:
        await alerts.save(alert, uow.session)
        await uow.publish(alert.group, event)


def _own(trace: Trace, correlation_id: str | None) -> Trace:
    """The replay event joins the replayed event's conversation, so a trace shows both."""
    return replace(trace, correlation_id=correlation_id or trace.correlation_id)
