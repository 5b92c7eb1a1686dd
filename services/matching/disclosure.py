"""What a caller sees of a match: the other side's card (what it answers), and its contact
only once both sides accepted. Pure: no I/O."""

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from services.matching.model import MUTUAL, Match, Response
from shared.contracts.companies import CompanyProfile, CompanySize, ContactPerson, ProjectReference
from shared.contracts.matching import MatchSide
from shared.contracts.proposals import (
    BudgetRange,
    City,
    ProposalContact,
    ProposalDetails,
    Timeline,
)


class CompanyCard(BaseModel):
    """A company's public profile: what a city weighs before it answers."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    company_id: str
    name_en: str
    name_ja: str | None
    size: CompanySize
    capability_statement: str
    references: list[ProjectReference]
    tags: list[str]
    countries: list[str]
    languages: list[str]


class ProposalCard(BaseModel):
    """A proposal as a company answers it; the city's contact stays out of it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    proposal_id: str
    title: str
    city_id: str
    city_name: str | None = Field(description="None until the city's reference data arrived")
    country: str
    stage: str
    focus_areas: list[str]
    tags: list[str]
    budget: BudgetRange
    timeline: Timeline
    financing: list[str]
    description: str


class MatchView(Match):
    """A match as a caller sees it: the other side's card, its contact only after mutual
    acceptance."""

    proposal: ProposalCard | None = Field(
        default=None, description="Shown to the company, the desk and staff"
    )
    company: CompanyCard | None = Field(
        default=None, description="Shown to the city, the desk and staff"
    )
    company_contact: ContactPerson | None = Field(
        default=None, description="Shown to the city (and staff) once both sides accepted"
    )
    city_contact: ProposalContact | None = Field(
        default=None, description="Shown to the company (and staff) once both sides accepted"
    )


@dataclass(frozen=True)
class Viewer:
    company_side: bool
    city_side: bool
    staff: bool


@dataclass(frozen=True)
class Parties:
    """The read models a page of matches refers to, looked up once for the whole page."""

    companies: dict[str, CompanyProfile] = field(default_factory=dict)
    proposals: dict[str, ProposalDetails] = field(default_factory=dict)
    cities: dict[str, City] = field(default_factory=dict)

    def company_name(self, company_id: str) -> str:
        company = self.companies.get(company_id)
        return company.name_en if company else company_id

    def proposal_title(self, proposal_id: str) -> str:
        proposal = self.proposals.get(proposal_id)
        return proposal.title if proposal else proposal_id


def disclose(match: Match, viewer: Viewer, parties: Parties) -> MatchView:
    """Each side sees the other's card (not its own); the desk and staff see both."""
    company = parties.companies.get(match.company_id)
    proposal = parties.proposals.get(match.proposal_id)
    mutual = match.status in MUTUAL
    fields = {
        "proposal": _proposal_card(proposal, parties) if not viewer.city_side else None,
        "company": _company_card(company) if not viewer.company_side else None,
        "company_contact": company.contact
        if company and mutual and (viewer.city_side or viewer.staff)
        else None,
        "city_contact": proposal.contact
        if proposal and mutual and (viewer.company_side or viewer.staff)
        else None,
        "responses": _responses_shown(match, viewer, mutual),
    }
    return MatchView.model_validate({**match.model_dump(), **fields})


def _responses_shown(match: Match, viewer: Viewer, mutual: bool) -> dict[MatchSide, Response]:
    """Each side's answer and its word to the other; who answered for the other side (a
    named official or employee) is a contact detail, so it too waits for mutual acceptance."""
    if mutual or viewer.staff:
        return dict(match.responses)
    own: MatchSide | None = (
        "company" if viewer.company_side else "city" if viewer.city_side else None
    )
    return {
        side: response if side == own else response.model_copy(update={"by_person": None})
        for side, response in match.responses.items()
    }


def _company_card(company: CompanyProfile | None) -> CompanyCard | None:
    return None if company is None else CompanyCard.model_validate(company.model_dump())


def _proposal_card(proposal: ProposalDetails | None, parties: Parties) -> ProposalCard | None:
    if proposal is None:
        return None
    city = parties.cities.get(proposal.city_id)
    city_name = city.name if city else None
    return ProposalCard.model_validate({**proposal.model_dump(), "city_name": city_name})
