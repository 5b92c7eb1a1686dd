"""Use cases of the notifications service: take in an event's mail, send what is due,
preferences, previews, and replies that arrive by mail."""

from datetime import datetime, timedelta
from urllib.parse import quote

from services.notifications.audience import Audience
from services.notifications.contacts import project
from services.notifications.invitations import to_ics
from services.notifications.mailroom import Mailroom
from services.notifications.messages import compose, reply_address
from services.notifications.model import (
    Category,
    Language,
    Mail,
    PlannedMail,
    Preferences,
    PreferencesView,
    mail_id_of,
)
from services.notifications.rendering import Rendered, sample_context
from services.notifications.smtp import SendFailed, send
from services.notifications.tokens import preferences_token, read_preferences_token, reply_token
from shared.consumer import ConsumedEvent
from shared.contracts import EventPayload
from shared.contracts.matching import (
    MatchAccepted,
    MatchExpired,
    MatchResponded,
    MatchWithdrawn,
    MeetingCancelled,
    MeetingScheduled,
)
from shared.contracts.notifications import MailFailed, MailSent
from shared.logs import get_logger
from shared.platform import Trace, unit_of_work

log = get_logger(__name__)


async def take_in(event: ConsumedEvent, mailroom: Mailroom) -> int:
    """Keep the event's contacts, drop mail it makes moot, claim the mail it asks for (in
    the consumer's transaction: a redelivered event claims nothing new). Returns claims."""
    await project(event, mailroom.directory)
    for group in moot_groups(event.payload):
        await mailroom.ledger.supersede(group, event.session)
    claimed = 0
    for planned in await Audience(mailroom.directory, mailroom.settings).plan(event):
        claimed += await claim(planned, event, mailroom)
    return claimed


def moot_groups(payload: EventPayload) -> list[str]:
    match payload:
        case MatchResponded() | MatchAccepted() | MatchExpired() | MatchWithdrawn():
            return [f"match-expiry:{payload.match_id}"]
        case MeetingScheduled() | MeetingCancelled():
            return [f"meeting-reminder:{payload.meeting_id}"]
    return []


async def claim(planned: PlannedMail, event: ConsumedEvent, mailroom: Mailroom) -> int:
    now, recipient = mailroom.clock(), planned.recipient
    address = recipient.address.lower()
    wanted = await mailroom.preferences.get(address, event.session)
    rendered = mailroom.renderer.render(
        planned.template,
        recipient.language,
        {**planned.context, **links(mailroom, address, planned.category)},
    )
    reply_to = None
    if planned.reply_to_inquiry is not None:
        expires = now + timedelta(days=mailroom.settings.notifications_reply_token_days)
        token = reply_token(mailroom.secret, planned.reply_to_inquiry, expires)
        reply_to = reply_address(token, mailroom.settings.mail_domain)
    invite = planned.invite
    mail = Mail(
        mail_id=mail_id_of(event.envelope.id, planned.template, address),
        event_id=event.envelope.id,
        correlation_id=event.envelope.correlationid,
        template=planned.template,
        category=planned.category,
        recipient=address,
        language=recipient.language,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        ics=to_ics(invite, _sender_address(mailroom), now) if invite else None,
        ics_method=invite.method if invite else None,
        reply_to=reply_to,
        thread=planned.thread,
        group=planned.group,
        status="pending" if wanted.allows(planned.category) else "suppressed",
        due_at=planned.due_at or now,
        created_at=now,
    )
    return int(await mailroom.ledger.claim(mail, event.session))


def links(mailroom: Mailroom, address: str, category: Category) -> dict[str, str | None]:
    base = mailroom.settings.notifications_public_url.rstrip("/")
    token = quote(preferences_token(mailroom.secret, address))
    unsubscribe = f"{base}/unsubscribe?token={token}&category={category}"
    return {
        "preferences_url": f"{base}/preferences?token={token}",
        "unsubscribe_url": None if category == "account" else unsubscribe,
    }


def _sender_address(mailroom: Mailroom) -> str:
    sender = mailroom.settings.mail_from
    return sender[sender.find("<") + 1 : sender.rfind(">")] if "<" in sender else sender


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


async def preferences_of(token: str, mailroom: Mailroom) -> PreferencesView:
    address = read_preferences_token(mailroom.secret, token)
    return PreferencesView(address=address, preferences=await mailroom.preferences.get(address))


async def set_preferences(token: str, wanted: Preferences, mailroom: Mailroom) -> PreferencesView:
    address = read_preferences_token(mailroom.secret, token)
    await mailroom.preferences.put(address, wanted, by=f"mail:{address}", at=mailroom.clock())
    return PreferencesView(address=address, preferences=wanted)


async def unsubscribe(token: str, category: Category, mailroom: Mailroom) -> PreferencesView:
    view = await preferences_of(token, mailroom)
    if category == "account":
        return view  # account and security mail cannot be turned off
    changed = view.preferences.model_copy(update={category: False})
    return await set_preferences(token, changed, mailroom)


def preview(name: str, language: Language, mailroom: Mailroom) -> Rendered:
    return mailroom.renderer.render(name, language, sample_context(name))
