"""Kafka entrypoints of the reference read models: cities and submitted proposals from
``jamp.proposals.v1``, companies from ``jamp.companies.v1``; each one idempotent upsert
(a run of registrations one insert)."""

from collections.abc import Sequence

from aiohttp import web

from services.inquiries.keys import DESK
from services.inquiries.references import handlers
from shared.consumer import Batchable, ConsumedEvent
from shared.contracts.companies import CompanyRegistered, CompanyUpdated
from shared.contracts.proposals import CityAdded, ProposalSubmitted
from shared.handler_table import handler_table


async def on_city_added(event: ConsumedEvent[CityAdded], app: web.Application) -> None:
    await handlers.city_added(event.payload.city, app[DESK].references, event.session)


async def on_company_registered(
    event: ConsumedEvent[CompanyRegistered], app: web.Application
) -> None:
    await on_companies_registered([event], app)


async def on_companies_registered(
    events: Sequence[ConsumedEvent[CompanyRegistered]], app: web.Application
) -> None:
    companies = [event.payload.company for event in events]
    await handlers.companies_registered(companies, app[DESK].references, events[0].session)


async def on_company_updated(event: ConsumedEvent[CompanyUpdated], app: web.Application) -> None:
    await handlers.company_updated(event.payload, app[DESK].references, event.session)


async def on_proposal_submitted(
    event: ConsumedEvent[ProposalSubmitted], app: web.Application
) -> None:
    await handlers.proposal_submitted(event.payload.proposal, app[DESK].references, event.session)


# Each is one upsert of facts that never change (a referent's country), or of a company's
# names as of a version it never goes back from: applied again it leaves the same
# document, so the runner applies them without a transaction or markers.
PROPOSAL_HANDLERS = handler_table(
    Batchable(on_city_added, idempotent=True), Batchable(on_proposal_submitted, idempotent=True)
)
COMPANY_HANDLERS = handler_table(
    Batchable(on_company_registered, idempotent=True, many=on_companies_registered),
    Batchable(on_company_updated, idempotent=True),
)
