"""Kafka entrypoints of the inquiries service: match suggestions, the reference read models
(``references/consumers.py``) and the key replica, whose revocations release their holder
and whose renamed people are shown under their new name.

Matches for a proposal are attached to the open partner-search inquiries that name the
proposal, or that ask about the proposal's country and one of its focus areas.
"""

from aiohttp import web

from services.inquiries.administration import departures
from services.inquiries.conversation import messages as conversation
from services.inquiries.handlers import history_entry
from services.inquiries.keys import DESK
from services.inquiries.references.consumers import COMPANY_HANDLERS, PROPOSAL_HANDLERS
from services.inquiries.scope import Visibility
from services.inquiries.views import Suggestion
from shared.auth.projector import IDENTITY_HANDLERS
from shared.consumer import Batchable, ConsumedEvent, HandlerTable, PoisonEvent
from shared.contracts.identity import Actor, ApiKeyRevoked, PersonUpdated
from shared.contracts.matching import MatchProposed, MatchUpdated, MatchWithdrawn
from shared.contracts.notifications import InquiryReplyReceived
from shared.errors import DomainError
from shared.handler_table import handler_table
from shared.platform import PLATFORM, Trace, UnitOfWork


async def on_match(
    event: ConsumedEvent[MatchProposed | MatchUpdated], app: web.Application
) -> None:
    desk, match = app[DESK], event.payload.match
    inquiry_ids = await desk.inquiries.matching(
        match.proposal_id, match.country, match.focus_areas, event.session
    )
    reasons = [f"{factor.factor}: {', '.join(factor.evidence)}" for factor in match.factors]
    suggestions = [
        Suggestion(
            inquiry_id=inquiry_id,
            match_id=match.match_id,
            proposal_id=match.proposal_id,
            company_id=match.company_id,
            company_name=match.company_name,
            score=match.score,
            rank=match.rank,
            reasons=reasons,
            version=match.version,
        )
        for inquiry_id in inquiry_ids
    ]
    at, source = event.envelope.time, event.envelope.source
    by = Actor(grant=source, name=source)
    added = await desk.suggestions.keep_newest(suggestions, event.session)
    shown = {"match_id", "company_id", "score"}
    entries = [
        history_entry(
            suggestion.inquiry_id,
            at,
            by,
            "suggestion_added",
            suggestion.model_dump(include=shown),
        )
        for suggestion in added
    ]
    writes = UnitOfWork(app[PLATFORM], event.session, Trace.caused_by(event.envelope))
    await desk.inquiries.record(entries, writes)


async def on_match_withdrawn(event: ConsumedEvent[MatchWithdrawn], app: web.Application) -> None:
    await app[DESK].suggestions.withdraw(event.payload.match_id, event.session)


async def on_reply_by_mail(
    event: ConsumedEvent[InquiryReplyReceived], app: web.Application
) -> None:
    """A requester answered by e-mail: the notifications service checked who it is. The
    reply is added under its inbound mail's id, at most once: the append commits in its own
    transaction, so a crash before this event's offset is committed delivers it again."""
    envelope, reply = event.envelope, event.payload
    trace = Trace(envelope.correlationid, envelope.traceparent, actor="requester (e-mail)")
    try:
        await conversation.post_message(
            reply.inquiry_id, conversation.mailed_reply_text(reply.body, reply.files_left_out),
            "reply", "requester", Visibility(), desk=app[DESK], trace=trace,
            message_id=reply.inbound_id,
        )  # fmt: skip
    except DomainError as refused:  # e.g. the inquiry closed meanwhile: no retry helps
        raise PoisonEvent(refused.detail) from refused


async def on_key_revoked(event: ConsumedEvent[ApiKeyRevoked], app: web.Application) -> None:
    """Beside the key replica's record, its holder leaves what they can no longer work
    (``administration/departures.py``), in the event's transaction: those changes are
    recorded as made by whoever revoked the key."""
    revoked, envelope = event.payload, event.envelope
    source = revoked.by or envelope.source  # revocations published before name nobody
    by = revoked.by_person or Actor(grant=source, name=source)
    trace = Trace(
        envelope.correlationid, envelope.traceparent, actor=by.grant, person_id=by.person_id,
        person_name=by.name, key_id=by.key_id,
    )  # fmt: skip
    uow = UnitOfWork(app[PLATFORM], event.session, trace)
    await departures.key_revoked(revoked, uow, desk=app[DESK])


async def on_person_updated(event: ConsumedEvent[PersonUpdated], app: web.Application) -> None:
    """Beside the key replica's record, the person's inquiries show the name they have now
    (``officer_name`` is a copy kept with each inquiry, so lists, filters, the report and
    exports read one document; the history keeps the old name). A set of facts as the
    event states them: applied twice, it leaves what applying it once does."""
    person, desk = event.payload, app[DESK]
    await desk.identity.record_person_updated(person, event.session)
    await desk.inquiries.rename_officer(person.person_id, person.name, event.session)


# A match reaches many inquiries and a proposal's matches come in runs: consecutive match
# events of a partition share one transaction (both write only through the event's session).
MATCH_HANDLERS = handler_table(Batchable(on_match), Batchable(on_match_withdrawn))
TOPIC_HANDLERS: dict[str, HandlerTable] = {
    "identity": {
        **IDENTITY_HANDLERS,
        **handler_table(on_key_revoked, Batchable(on_person_updated, idempotent=True)),
    },
    "matches": MATCH_HANDLERS,
    "proposals": PROPOSAL_HANDLERS,
    "companies": COMPANY_HANDLERS,
    "notifications": handler_table(on_reply_by_mail),
}
