"""Use cases of lag alerting: thresholds an operator sets (audited and published), and
each group's alert raised or cleared as its lag crosses them."""

from collections.abc import Awaitable, Callable
from datetime import datetime

from services.monitor.alerts.model import Alert, GroupThreshold, Threshold, breaches, verdict
from services.monitor.alerts.repository import AlertStore, ThresholdStore
from services.monitor.operators.repository import AuditLog
from services.monitor.streams.model import GroupStats
from shared.clock import utc_now
from shared.contracts.monitor import LagAlertCleared, LagAlertRaised, LagThresholdChanged
from shared.errors import DomainError
from shared.platform import Platform, Trace, UnitOfWork, unit_of_work


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


class ThresholdNotSet(DomainError):
    """The group has no thresholds to remove."""


async def remove_threshold(
    group: str,
    *,
    thresholds: ThresholdStore,
    alerts: AlertStore,
    platform: Platform,
    audit: AuditLog,
    trace: Trace,
) -> None:
    """The group is no longer watched: audited, published as both limits off, and its alert,
    if one is up, cleared (nothing would ever clear it otherwise)."""
    async with unit_of_work(platform, trace) as uow:
        if not await thresholds.remove(group, uow.session):
            raise ThresholdNotSet(
                f"no thresholds are set for the group {group}", field="path.group"
            )
        await audit.record(trace.by, "threshold.remove", group, {}, uow.session)
        off = LagThresholdChanged(
            group=group, max_lag=None, max_age_seconds=None, by=trace.actor, by_person=trace.by
        )
        await uow.publish(group, off)
        current = await alerts.get(group, uow.session)
        if current is not None and current.active:
            cleared = current.model_copy(update={"active": False, "cleared_at": utc_now()})
            await _record_alert(cleared, alerts, uow)


async def evaluate_alerts(
    lags: Callable[[], Awaitable[list[GroupStats]]],
    at: datetime,
    *,
    thresholds: ThresholdStore,
    alerts: AlertStore,
    platform: Platform,
) -> list[Alert]:
    """Raise or clear each group's alert; returns the alerts that changed. The groups' lag
    (broker round trips, reads of the index) is read only when some threshold is set."""
    limits = await thresholds.all()
    if not limits:
        return []
    groups = {stats.group: stats for stats in await lags()}
    changed = []
    for threshold in limits:
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
            raised_at=at if decision == "raise" or current is None else current.raised_at,
            cleared_at=at if decision == "clear" else None,
            lag=stats.lag,
            oldest_age_seconds=stats.oldest_age_seconds,
            reasons=reasons,
        )
        if await _publish_alert(alert, threshold, thresholds, alerts, platform):
            changed.append(alert)
    return changed


async def _publish_alert(
    alert: Alert,
    measured_against: GroupThreshold,
    thresholds: ThresholdStore,
    alerts: AlertStore,
    platform: Platform,
) -> bool:
    """Record the alert if, at commit, the thresholds it was measured against still stand
    and the alert is not already so; False otherwise (the next round decides again).
    Measuring takes broker round trips: an operator who removed the thresholds meanwhile
    had cleared the alert, and a raise decided on the old reading stood for good (a group
    without thresholds is never measured again). So did a second replica's same raise."""
    async with unit_of_work(platform, Trace(None, None, actor="monitor")) as uow:
        if not await thresholds.still_set(measured_against, uow.session):
            return False
        current = await alerts.get(alert.group, uow.session)
        if (current is not None and current.active) == alert.active:
            return False
        await _record_alert(alert, alerts, uow)
        return True


async def _record_alert(alert: Alert, alerts: AlertStore, uow: UnitOfWork) -> None:
    """The alert as it now stands, and its event, in the caller's transaction."""
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
    await alerts.save(alert, uow.session)
    await uow.publish(alert.group, event)
