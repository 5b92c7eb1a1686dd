"""The dependencies every notifications use case needs, bundled once by ``create_app``."""

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from services.notifications.composing.rendering import Renderer
from services.notifications.model import Backoff
from services.notifications.repository import Directory, InboundLog, Ledger, PreferenceStore
from services.notifications.sending.smtp import Relay
from services.notifications.settings import NotificationSettings
from shared.auth import KeyReplica
from shared.clock import Clock, utc_now
from shared.platform import Platform


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
    clock: Clock = utc_now
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
