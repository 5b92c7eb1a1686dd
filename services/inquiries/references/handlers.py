"""Use cases of the reference read models: learning from the streams, checking a submission."""

from collections.abc import Iterable

from pymongo.asynchronous.client_session import AsyncClientSession

from services.inquiries.commands import Requester, SubmitInquiry
from services.inquiries.references.model import Kind, Reference, Referent, check, references_of
from services.inquiries.references.repository import ReferenceRepository
from shared.contracts.companies import CompanyProfile
from shared.contracts.proposals import City, ProposalDetails


async def check_references(
    named: Iterable[Reference],
    country: str,
    references: ReferenceRepository,
) -> None:
    """Raise UnresolvedReference for the first named id that is unknown or foreign to
    ``country``. Any change that names a requester or link passes through here."""
    for reference in named:
        check(reference, await references.find(reference), country)


async def check_submission(command: SubmitInquiry, references: ReferenceRepository) -> None:
    await check_references(references_of(command), command.country, references)


async def city_added(
    city: City, references: ReferenceRepository, session: AsyncClientSession
) -> None:
    await references.put(Referent("city", city.city_id, city.country, (city.name,)), session)


async def company_registered(
    company: CompanyProfile, references: ReferenceRepository, session: AsyncClientSession
) -> None:
    names = tuple(name for name in (company.name_en, company.name_ja) if name)
    await references.put(Referent("company", company.company_id, None, names), session)


async def proposal_submitted(
    proposal: ProposalDetails, references: ReferenceRepository, session: AsyncClientSession
) -> None:
    """Only submitted proposals are learnt: a draft is private to its city, so naming one
    must answer as if it did not exist."""
    await references.put(Referent("proposal", proposal.proposal_id, proposal.country), session)


async def requester_names(requester: Requester, references: ReferenceRepository) -> list[str]:
    """The names of a company or city requester as the read models know them."""
    named: list[tuple[Kind, str | None]] = [
        ("company", requester.company_id),
        ("city", requester.city_id),
    ]
    found: list[str] = []
    for kind, value in named:
        if value is not None:
            referent = await references.find(Reference(kind, value, "requester"))
            found += referent.names if referent else ()
    return found
