"""A generated desk as the other services would publish it: the scale benchmark's companies
and proposals as registration and submission events, and a stream of profile updates."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np

from services.matching.bench.scale import Generator
from services.matching.scoring.features import CompanyFeatures, ProposalFeatures
from shared.contracts.companies import CompanyProfile, CompanyUpdated, ProjectReference
from shared.contracts.proposals import ProposalDetails
from shared.contracts.vocabulary import solution_tags


@dataclass(frozen=True)
class Desk:
    companies: list[CompanyProfile]
    proposals: list[ProposalDetails]
    features: list[CompanyFeatures]
    needs: list[ProposalFeatures]


def generate(companies: int, proposals: int, seed: int = 7) -> Desk:
    """The same pool ``jamp bench matching-scale`` scores, as published profiles."""
    generator = Generator(seed)
    features = [generator.company(n) for n in range(companies)]
    needs = [generator.proposal(n) for n in range(proposals)]
    return Desk(
        [company_profile(f) for f in features],
        [proposal_details(n) for n in needs],
        features,
        needs,
    )


def company_profile(features: CompanyFeatures) -> CompanyProfile:
    return CompanyProfile(
        company_id=features.company_id,
        corporate_number=None,
        name_en=features.name,
        name_ja=None,
        size="medium",
        focus_areas=sorted(features.focus_areas),
        tags=sorted(features.tags),
        countries=sorted(features.countries),
        languages=sorted(features.languages),
        capability_statement=features.statement,
        references=[
            ProjectReference(
                title=reference.title,
                country=reference.country,
                description=reference.description,
                tags=list(reference.tags),
            )
            for reference in features.references
        ],
        contact={"name": "Bench Contact", "email": "bench@example.co.jp"},
        status="registered",
        version=1,
        registered_at=datetime.now(UTC),
    )


def proposal_details(need: ProposalFeatures) -> ProposalDetails:
    return ProposalDetails(
        proposal_id=need.proposal_id,
        city_id=need.city_id,
        country=need.country,
        title=need.title,
        focus_areas=sorted(need.focus_areas),
        tags=sorted(need.tags),
        stage=need.stage,
        financing=sorted(need.financing),
        budget={"min": 100_000, "max": 500_000, "currency": "USD"},
        timeline={"start": date(2027, 4, 1), "end": date(2028, 3, 31)},
        description=need.description,
        contact={"name": "City Contact", "email": "city@example.gov"},
        status="submitted",
        version=2,
        created_at=datetime.now(UTC),
    )


def updates(desk: Desk, count: int, seed: int = 11) -> list[CompanyUpdated]:
    """Companies adding a tag they did not claim: each moves the company's scores."""
    rng = np.random.default_rng(seed)
    tags = sorted(solution_tags())
    versions: dict[str, int] = {}
    current = {c.company_id: list(c.tags) for c in desk.companies}
    made = []
    for n in rng.choice(len(desk.companies), count, replace=count > len(desk.companies)):
        company = desk.companies[int(n)]
        company_id = company.company_id
        new = [t for t in tags if t not in current[company_id]]
        if new:
            current[company_id] = sorted([*current[company_id], str(rng.choice(new))])
        versions[company_id] = versions.get(company_id, 1) + 1
        changes = {"tags": current[company_id]}
        made.append(
            CompanyUpdated(company_id=company_id, version=versions[company_id], changes=changes)
        )
    return made
