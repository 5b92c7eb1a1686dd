"""Kafka entrypoints of the matching service: the companies and proposals streams feed its
read models and rescoring; every write joins the event's transaction, so a redelivered
event changes nothing."""

import functools
import time
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager

from aiohttp import web

from services.matching import handlers
from services.matching.keys import EVENT_SECONDS, MATCHMAKER
from services.matching.readmodel import as_submitted
from shared.auth.projector import IDENTITY_HANDLERS
from shared.consumer import Batchable, ConsumedEvent, EventHandler, HandlerTable
from shared.contracts.companies import (
    CompanyRegistered,
    CompanySuspended,
    CompanyUpdated,
    CompanyVerified,
)
from shared.contracts.proposals import (
    CityAdded,
    ProposalDrafted,
    ProposalStatusChanged,
    ProposalSubmitted,
    ProposalUpdated,
)
from shared.handler_table import handler_table
from shared.platform import PLATFORM, Trace, UnitOfWork


def _uow(event: ConsumedEvent, app: web.Application) -> UnitOfWork:
    return UnitOfWork(app[PLATFORM], event.session, Trace.caused_by(event.envelope))


def _batch(
    events: Sequence[ConsumedEvent], app: web.Application
) -> AbstractAsyncContextManager[None]:
    """The events of one consumer transaction tick the index clock once and write together;
    the pairs of the companies they name are read at once."""
    named = (_company_of(event.payload) for event in events)
    companies = {company_id for company_id in named if company_id is not None}
    return app[MATCHMAKER].batch(events[0].session, companies)


def _company_of(payload: object) -> str | None:
    match payload:
        case CompanyRegistered(company=company):
            return company.company_id
        case CompanyUpdated() | CompanyVerified() | CompanySuspended():
            return payload.company_id
    return None


def batched(handler: EventHandler) -> Batchable:
    return Batchable(timed(handler), _batch)


async def on_company_registered(
    event: ConsumedEvent[CompanyRegistered], app: web.Application
) -> None:
    await handlers.company_registered(event.payload.company, _uow(event, app), app[MATCHMAKER])


async def on_company_updated(event: ConsumedEvent[CompanyUpdated], app: web.Application) -> None:
    payload = event.payload
    await handlers.company_updated(
        payload.company_id, payload.version, payload.changes, _uow(event, app), app[MATCHMAKER]
    )


async def on_company_verified(event: ConsumedEvent[CompanyVerified], app: web.Application) -> None:
    payload = event.payload
    await handlers.company_status(
        payload.company_id, payload.version, "verified", _uow(event, app), app[MATCHMAKER]
    )


async def on_company_suspended(
    event: ConsumedEvent[CompanySuspended], app: web.Application
) -> None:
    payload = event.payload
    await handlers.company_status(
        payload.company_id, payload.version, "suspended", _uow(event, app), app[MATCHMAKER]
    )


async def on_city_added(event: ConsumedEvent[CityAdded], app: web.Application) -> None:
    await app[MATCHMAKER].read_models.put_city(event.payload.city, event.session)


async def on_proposal_drafted(event: ConsumedEvent[ProposalDrafted], app: web.Application) -> None:
    await app[MATCHMAKER].read_models.put_proposal(event.payload.proposal, event.session)


async def on_proposal_submitted(
    event: ConsumedEvent[ProposalSubmitted], app: web.Application
) -> None:
    proposal = as_submitted(event.payload.proposal, event.envelope.time)
    await handlers.proposal_published(
        proposal, "proposal submitted", _uow(event, app), app[MATCHMAKER]
    )


async def on_proposal_updated(event: ConsumedEvent[ProposalUpdated], app: web.Application) -> None:
    payload = event.payload
    await handlers.proposal_updated(
        payload.proposal_id, payload.version, payload.changes, _uow(event, app), app[MATCHMAKER]
    )


async def on_proposal_status_changed(
    event: ConsumedEvent[ProposalStatusChanged], app: web.Application
) -> None:
    payload = event.payload
    await handlers.proposal_status(
        payload.proposal_id, payload.version, payload.to_status, _uow(event, app), app[MATCHMAKER]
    )


def timed(handler: EventHandler) -> EventHandler:
    """The time an event spends in its handler. The writes its batch holds until the end,
    and the commit, are not in it: ``consumer_transaction_seconds`` times the whole
    transaction (what ``jamp bench matching-live`` reports)."""

    @functools.wraps(handler)  # the table reads the payload type off the handler's signature
    async def run(event: ConsumedEvent, app: web.Application) -> None:
        started = time.perf_counter()
        await handler(event, app)
        app[EVENT_SECONDS].labels(event.envelope.type).observe(time.perf_counter() - started)

    return run


COMPANY_HANDLERS = handler_table(
    batched(on_company_registered),
    batched(on_company_updated),
    batched(on_company_verified),
    batched(on_company_suspended),
)
PROPOSAL_HANDLERS = handler_table(
    Batchable(on_city_added),
    Batchable(on_proposal_drafted),
    batched(on_proposal_submitted),
    batched(on_proposal_updated),
    batched(on_proposal_status_changed),
)
TOPIC_HANDLERS: dict[str, HandlerTable] = {
    "companies": COMPANY_HANDLERS,
    "proposals": PROPOSAL_HANDLERS,
    "identity": IDENTITY_HANDLERS,
}
