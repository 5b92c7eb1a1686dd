"""The background sender: every replica sends what is due, claims keep them apart.

Claim, send, mark: a due row is taken by compare-and-set, handed to the relay, then marked
sent (or failed for good) with its event in one transaction. A transient failure puts it
back with a later due time; a vanished sender's claim expires and is taken over.
"""

from datetime import datetime, timedelta

from services.notifications.composing.messages import compose
from services.notifications.handlers import links
from services.notifications.mailroom import Mailroom
from services.notifications.model import Mail
from services.notifications.sending.smtp import SendFailed, send
from shared.contracts import EventPayload
from shared.contracts.notifications import MailFailed, MailSent
from shared.errors import describe
from shared.logs import get_logger
from shared.platform import Trace, unit_of_work
from shared.tasks import until_set

log = get_logger(__name__)


async def run_dispatcher(mailroom: Mailroom) -> None:
    poll = mailroom.settings.notifications_poll_seconds
    while True:
        mailroom.wakeup.clear()
        try:
            await dispatch_due(mailroom)
        except Exception as error:  # MongoDB away: the mail waits in the ledger
            log.warning("mail.dispatch_failed", error=describe(error))
        await until_set(mailroom.wakeup, poll)


async def dispatch_due(mailroom: Mailroom, limit: int = 50) -> int:
    """Send what is due, one mail at a time; returns how many were handed to the relay."""
    now, sent = mailroom.clock(), 0
    hold = timedelta(seconds=mailroom.settings.notifications_claim_seconds)
    for mail in await mailroom.ledger.due(now, limit):
        capped_until = await _cap(mailroom, mail.recipient, now)
        if capped_until is not None:
            await mailroom.ledger.postpone(mail, capped_until, "hourly cap", None)
            continue
        taken = await mailroom.ledger.take(mail, now, hold)
        if taken is not None:
            sent += await _send(taken, mailroom)
    return sent


async def _cap(mailroom: Mailroom, address: str, now: datetime) -> datetime | None:
    """When the recipient may have more mail, if the last hour already holds the cap."""
    window = timedelta(hours=1)
    recent = await mailroom.ledger.sent_since(address, now - window)
    cap = mailroom.settings.notifications_hourly_cap
    return recent[-cap] + window if len(recent) >= cap else None


async def _send(mail: Mail, mailroom: Mailroom) -> int:
    unsubscribe = links(mailroom, mail.recipient, mail.category)["unsubscribe_url"]
    message = compose(mail, mailroom.settings.mail_from, mailroom.settings.mail_domain, unsubscribe)
    try:
        await send(mailroom.relay, message)
    except SendFailed as failure:
        now = mailroom.clock()
        if failure.permanent or mailroom.backoff.gives_up(mail.created_at, now):
            await _finish(mail, mailroom, failure)
        else:
            due = now + mailroom.backoff.delay(mail.attempts)
            await mailroom.ledger.postpone(mail, due, failure.reason, failure.code)
            log.warning("mail.retry_later", mail_id=mail.mail_id, code=failure.code, due=str(due))
        return 0
    await _finish(mail, mailroom, None)
    return 1


async def _finish(mail: Mail, mailroom: Mailroom, failure: SendFailed | None) -> None:
    now = mailroom.clock()
    fields = mail.model_dump(
        include={"mail_id", "event_id", "template", "category", "recipient", "attempts"}
    )
    trace = Trace(mail.correlation_id, None, actor="notifications")
    async with unit_of_work(mailroom.platform, trace) as uow:
        if failure is None:
            await mailroom.ledger.finish(mail, "sent", now, uow.session)
            event: EventPayload = MailSent(
                **fields, possible_duplicate=mail.possible_duplicate, sent_at=now
            )
        else:
            await mailroom.ledger.finish(
                mail, "failed", now, uow.session, failure.reason, failure.code
            )
            event = MailFailed(**fields, code=failure.code, reason=failure.reason, failed_at=now)
        await uow.publish(mail.mail_id, event)
