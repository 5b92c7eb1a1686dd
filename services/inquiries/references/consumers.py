"""Kafka entrypoints of the reference read models: cities and submitted proposals from
``jamp.proposals.v1``, companies from ``jamp.companies.v1``; every write joins the event's
transaction."""

from aiohttp import web

from services.inquiries.keys import DESK
from services.inquiries.references import handlers
from shared.consumer import Batchable, ConsumedEvent, HandlerTable
from shared.contracts.companies import CompanyRegistered
from shared.contracts.proposals import CityAdded, ProposalSubmitted


async def on_city_added(event: ConsumedEvent, app: web.Application) -> None:
    assert isinstance(event.payload, CityAdded)
    await handlers.city_added(event.payload.city, app[DESK].references, event.session)


async def on_company_registered(event: ConsumedEvent, app: web.Application) -> None:
    assert isinstance(event.payload, CompanyRegistered)
    await handlers.company_registered(event.payload.company, app[DESK].references, event.session)


async def on_proposal_submitted(event: ConsumedEvent, app: web.Application) -> None:
    assert isinstance(event.payload, ProposalSubmitted)
    await handlers.proposal_submitted(event.payload.proposal, app[DESK].references, event.session)


# Each only upserts its referent through the event's session: a run of them may share one
# transaction (a registration burst is one commit per partition, not one per company).
PROPOSAL_HANDLERS: HandlerTable = {
    CityAdded: Batchable(on_city_added),
    ProposalSubmitted: Batchable(on_proposal_submitted),
}
COMPANY_HANDLERS: HandlerTable = {CompanyRegistered: Batchable(on_company_registered)}
