"""The dependencies every notifications use case needs, bundled once by ``create_app``."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.notifications.composing.rendering import Renderer
from services.notifications.model import Backoff
from services.notifications.repository import Directory, InboundLog, Ledger, PreferenceStore
from services.notifications.sending.smtp import Relay
from services.notifications.settings import NotificationSettings
from shared.auth import KeyReplica
from shared.platform import Platform

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Mailroom:
    platform: Platform
    settings: NotificationSettings
    directory: Directory
    ledger: Ledger
    preferences: PreferenceStore
    inbound: InboundLog
    renderer: Renderer
    relay: Relay
    keys: KeyReplica
    """The key replica: who holds which grant (a queue without people falls back to them)."""
    clock: Clock = system_clock
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    """Set after a claim commits, so new mail goes out now rather than at the next poll."""

    @property
    def secret(self) -> str:
        return self.settings.mail_secret()

    @property
    def backoff(self) -> Backoff:
        return Backoff(
            base_seconds=self.settings.notifications_retry_base_seconds,
            max_seconds=self.settings.notifications_retry_max_seconds,
            give_up_after=timedelta(hours=self.settings.notifications_give_up_hours),
        )
