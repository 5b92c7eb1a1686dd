"""Use cases of the notifications service: take in an event's mail, preferences, previews.
Sending is ``sending/dispatcher.py``; replies by mail are ``replies/inbound.py``."""

from datetime import timedelta
from urllib.parse import quote

from services.notifications.composing.audience import Audience, address_changed
from services.notifications.composing.contacts import project
from services.notifications.composing.invitations import to_ics
from services.notifications.composing.messages import reply_address
from services.notifications.composing.rendering import Rendered, sample_context
from services.notifications.mailroom import Mailroom
from services.notifications.model import (
    Category,
    Language,
    Mail,
    PlannedMail,
    Preferences,
    PreferencesView,
    mail_id_of,
)
from services.notifications.tokens import preferences_token, read_preferences_token, reply_token
from shared.consumer import ConsumedEvent
from shared.contracts import EventPayload
from shared.contracts.identity import PersonUpdated
from shared.contracts.matching import (
    MatchAccepted,
    MatchExpired,
    MatchResponded,
    MatchWithdrawn,
    MeetingCancelled,
    MeetingRescheduled,
    MeetingScheduled,
)


async def take_in(event: ConsumedEvent, mailroom: Mailroom) -> int:
    """Keep the event's contacts, drop mail it makes moot, claim the mail it asks for (in
    the consumer's transaction: a redelivered event claims nothing new). Returns claims."""
    notices = await address_change(event, mailroom)
    await project(event, mailroom.directory)
    # Planning also counts a meeting's revisions (its SEQUENCE), history or not.
    audience = Audience(mailroom.directory, mailroom.settings, mailroom.keys)
    planned = notices + await audience.plan(event)
    since = mailroom.settings.notifications_since
    if since is not None and event.envelope.time < since:
        return 0  # history from before the service existed: nobody is told of it now
    for group in moot_groups(event.payload, planned):
        await mailroom.ledger.supersede(group, event.session)
    return sum([await claim(mail, event, mailroom) for mail in planned])


async def address_change(event: ConsumedEvent, mailroom: Mailroom) -> list[PlannedMail]:
    """A person's new address keeps what they turned off at the old one (preferences are
    kept per address), and both addresses are told of the change. Read before the
    directory learns the new address: the old one is known only until then."""
    if not isinstance(person := event.payload, PersonUpdated):
        return []
    known = await mailroom.directory.get(f"person:{person.person_id}", event.session) or {}
    old, new = known.get("email"), person.email
    if not old or not new or old.lower() == new.lower():
        return []
    by = f"{person.by}:person.updated"
    await mailroom.preferences.carry(old, new, by, event.envelope.time, event.session)
    return address_changed(person, old)


def moot_groups(payload: EventPayload, planned: list[PlannedMail]) -> list[str]:
    match payload:
        case MatchResponded() | MatchAccepted() | MatchExpired() | MatchWithdrawn():
            return [f"match-expiry:{payload.match_id}"]
        case MeetingScheduled() | MeetingRescheduled() | MeetingCancelled() if planned:
            # A moved or cancelled meeting's pending reminder is not sent, due or not (a
            # moved one gets a new reminder). Only news does this: a replayed or overtaken
            # revision plans nothing and must not withdraw the current reminder.
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
        status="pending"
        if wanted.allows(planned.category) and not _ours(mailroom, address)
        else "suppressed",
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


def _ours(mailroom: Mailroom, address: str) -> bool:
    """The desk's own sender or reply domain given as someone's contact: mailing it would
    start a loop (our mail answered by our listener, or by ourselves), so it is never sent."""
    domain = address.rpartition("@")[2]
    return address == _sender_address(mailroom).lower() or domain == (
        mailroom.settings.mail_domain.lower()
    )


def _sender_address(mailroom: Mailroom) -> str:
    sender = mailroom.settings.mail_from
    return sender[sender.find("<") + 1 : sender.rfind(">")] if "<" in sender else sender


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
