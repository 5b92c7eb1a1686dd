"""The background sender: every replica sends what is due, claims keep them apart."""

import asyncio
import contextlib

from services.notifications.handlers import dispatch_due
from services.notifications.mailroom import Mailroom
from shared.errors import describe
from shared.logs import get_logger

log = get_logger(__name__)


async def run_dispatcher(mailroom: Mailroom) -> None:
    poll = mailroom.settings.notifications_poll_seconds
    while True:
        mailroom.wakeup.clear()
        try:
            await dispatch_due(mailroom)
        except Exception as error:  # MongoDB away: the mail waits in the ledger
            log.warning("mail.dispatch_failed", error=describe(error))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(mailroom.wakeup.wait(), poll)
