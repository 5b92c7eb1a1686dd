"""Use cases of the reference read models: learning from the streams, checking a submission."""

from collections.abc import Iterable, Sequence

from pymongo.asynchronous.client_session import AsyncClientSession

from services.inquiries.commands import SubmitInquiry
from services.inquiries.references.model import Reference, Referent, check, references_of
from services.inquiries.references.repository import ReferenceRepository, Session
from services.inquiries.repository import SearchedWord
from shared.contracts.companies import CompanyProfile, CompanyUpdated
from shared.contracts.proposals import City, ProposalDetails
from shared.text import query_alternatives

NAME_FIELDS = ("name_en", "name_ja")


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
    await references.put(Referent("city", city.city_id, city.country), session, [city.name])


async def companies_registered(
    companies: Sequence[CompanyProfile], references: ReferenceRepository, session: Session
) -> None:
    """Registered companies' names, each as of its profile's version, in one write."""
    named = [
        (
            company.company_id,
            company.version,
            {"name_en": company.name_en, "name_ja": company.name_ja},
        )
        for company in companies
    ]
    await references.name_companies(named, session)


async def company_updated(
    update: CompanyUpdated, references: ReferenceRepository, session: AsyncClientSession
) -> None:
    """A renamed company's inquiries are found by its new names (and no longer its old)."""
    named = {field: update.changes[field] for field in NAME_FIELDS if field in update.changes}
    if named:
        await references.name_company(update.company_id, update.version, named, session)


async def proposal_submitted(
    proposal: ProposalDetails, references: ReferenceRepository, session: AsyncClientSession
) -> None:
    """Only submitted proposals are learnt: a draft is private to its city, so naming one
    must answer as if it did not exist."""
    await references.put(Referent("proposal", proposal.proposal_id, proposal.country), session)


async def searched_words(q: str, references: ReferenceRepository) -> list[SearchedWord]:
    """Each word of a search, with the companies and cities whose names have it."""
    return [(either, await references.named_by(either)) for either in query_alternatives(q)]
