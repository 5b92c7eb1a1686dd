"""Kafka entrypoints of the reference read models: cities and submitted proposals from
``jamp.proposals.v1``, companies from ``jamp.companies.v1``; every write joins the event's
transaction."""

from aiohttp import web

from services.inquiries.keys import DESK
from services.inquiries.references import handlers
from shared.consumer import Batchable, ConsumedEvent
from shared.contracts.companies import CompanyRegistered
from shared.contracts.proposals import CityAdded, ProposalSubmitted
from shared.handler_table import handler_table


async def on_city_added(event: ConsumedEvent[CityAdded], app: web.Application) -> None:
    await handlers.city_added(event.payload.city, app[DESK].references, event.session)


async def on_company_registered(
    event: ConsumedEvent[CompanyRegistered], app: web.Application
) -> None:
    await handlers.company_registered(event.payload.company, app[DESK].references, event.session)


async def on_proposal_submitted(
    event: ConsumedEvent[ProposalSubmitted], app: web.Application
) -> None:
    await handlers.proposal_submitted(event.payload.proposal, app[DESK].references, event.session)


# Each only upserts its referent through the event's session: a run of them may share one
# transaction (a registration burst is one commit per partition, not one per company).
PROPOSAL_HANDLERS = handler_table(Batchable(on_city_added), Batchable(on_proposal_submitted))
COMPANY_HANDLERS = handler_table(Batchable(on_company_registered))
