"""Kafka entrypoints of the notifications service: every stream whose events someone hears
of, plus the key replica. Each event's mail is claimed in the consumer's transaction."""

from collections.abc import Sequence

from aiohttp import web

from services.notifications.composing.contacts import project, project_all
from services.notifications.handlers import take_in
from services.notifications.keys import MAILROOM
from shared.auth.projector import IDENTITY_HANDLERS
from shared.consumer import Batchable, ConsumedEvent, HandlerTable
from shared.contracts import EventPayload, companies, inquiries, matching, proposals
from shared.contracts.identity import PersonRegistered, PersonUpdated
from shared.handler_table import handler_table


async def take_event(event: ConsumedEvent, app: web.Application) -> None:
    mailroom = app[MAILROOM]
    if await take_in(event, mailroom):
        # The dispatcher polls anyway; waking it makes the mail go out right after the commit
        # (a wakeup for a transaction that then failed only costs it one early look).
        mailroom.wakeup.set()


async def take_person(
    event: ConsumedEvent[PersonRegistered | PersonUpdated], app: web.Application
) -> None:
    """A person is both a key holder (the replica) and someone mail may reach (officers,
    queue members, supervisors), at the address and in the language they now have."""
    await IDENTITY_HANDLERS[type(event.payload)](event, app)
    await take_event(event, app)


# Every read and write of taking an event in goes through the event's session (so a later
# event of a run sees an earlier one's contacts) and fails only for the event's own
# reasons: a run of records shares one transaction, a registration burst one commit.
on_event = Batchable(take_event)
on_person = Batchable(take_person)


async def take_company(
    event: ConsumedEvent[companies.CompanyRegistered | companies.CompanyUpdated],
    app: web.Application,
) -> None:
    await project(event, app[MAILROOM].directory)


async def take_companies(events: Sequence[ConsumedEvent], app: web.Application) -> None:
    await project_all(events, app[MAILROOM].directory)


# A company's events plan no mail (the audience has no case for them): taking one in is a
# $set of the contacts it carries, which applied again leaves the same entry, so the runner
# applies a run of them in one write, without a transaction or markers. An event that plans
# mail for a company must go through take_event again.
on_company = Batchable(take_company, idempotent=True, many=take_companies)


def _all(*models: type[EventPayload]) -> HandlerTable:
    """One entrypoint for many types: on_event takes any event, so the table names them."""
    return {model: on_event for model in models}


TOPIC_HANDLERS: dict[str, HandlerTable] = {
    "identity": {**IDENTITY_HANDLERS, **handler_table(on_person)},
    "companies": handler_table(on_company),
    "proposals": _all(
        proposals.CityAdded,
        proposals.ProposalDrafted,
        proposals.ProposalSubmitted,
        proposals.ProposalUpdated,
        proposals.ProposalStatusChanged,
    ),
    "inquiries": _all(
        inquiries.InquirySubmitted,
        inquiries.InquiryTriaged,
        inquiries.InquiryAssigned,
        inquiries.InquiryReplied,
        inquiries.InquirySlaWarning,
        inquiries.InquirySlaBreached,
        inquiries.InquiryEscalated,
        inquiries.QueuesChanged,
    ),
    "matches": _all(
        matching.MatchOffered,
        matching.MatchResponded,
        matching.MatchAccepted,
        matching.MatchMessagePosted,
        matching.MatchExpired,
        matching.MatchWithdrawn,
        matching.MeetingScheduled,
        matching.MeetingRescheduled,
        matching.MeetingCancelled,
    ),
}
