"""The read models' rules: published profiles become scoring features, and a change is
put in words ("company added tag flood_control"). Pure: no I/O."""

from datetime import datetime
from typing import Any

from services.matching.scoring.features import CompanyFeatures, ProposalFeatures, Reference
from shared.contracts.companies import CompanyProfile
from shared.contracts.matching import MatchFactor
from shared.contracts.proposals import ProposalDetails, ProposalStatus

MATCHABLE: frozenset[ProposalStatus] = frozenset(
    {"submitted", "under_review", "accepted", "matched"}
)
"""From submission on, so reviewers see candidates; drafts stay private to their city."""
NEVER_SUBMITTED: frozenset[ProposalStatus] = frozenset({"draft", "withdrawn"})
LISTED_FIELDS = ("tags", "focus_areas", "countries", "languages", "financing")
SINGULAR = {
    "tags": "tag",
    "focus_areas": "focus area",
    "countries": "country",
    "languages": "language",
    "financing": "financing",
}
MATERIAL_CHANGE = 0.0005


def was_submitted(proposal: ProposalDetails) -> bool:
    """Whether anyone beyond its city may see it: ever submitted, whatever its status now.
    Read models stored before ``submitted_at`` existed lack it; a status past draft (other
    than withdrawn, which a draft may reach directly) still proves the submission."""
    return proposal.submitted_at is not None or proposal.status not in NEVER_SUBMITTED


def as_submitted(proposal: ProposalDetails, at: datetime) -> ProposalDetails:
    """The proposal with its submission time; producers before ``submitted_at`` existed
    left it out, and the submission event's own time is then the best witness."""
    if proposal.submitted_at is not None:
        return proposal
    return proposal.model_copy(update={"submitted_at": at})


def company_features(company: CompanyProfile) -> CompanyFeatures:
    return CompanyFeatures(
        company_id=company.company_id,
        name=company.name_en,
        focus_areas=frozenset(company.focus_areas),
        tags=frozenset(company.tags),
        statement=" ".join(filter(None, [company.capability_statement, company.name_ja])),
        countries=frozenset(company.countries),
        languages=frozenset(company.languages),
        references=tuple(
            Reference(
                title=reference.title,
                country=reference.country,
                city=reference.city,
                description=reference.description,
                tags=tuple(reference.tags),
            )
            for reference in company.references
        ),
    )


def proposal_features(proposal: ProposalDetails) -> ProposalFeatures:
    return ProposalFeatures(
        proposal_id=proposal.proposal_id,
        city_id=proposal.city_id,
        country=proposal.country,
        title=proposal.title,
        description=proposal.description,
        focus_areas=frozenset(proposal.focus_areas),
        tags=frozenset(proposal.tags),
        stage=proposal.stage,
        financing=frozenset(proposal.financing),
    )


def with_changes(company: CompanyProfile, version: int, changes: dict[str, Any]) -> CompanyProfile:
    data = {**company.model_dump(mode="json"), **changes, "version": version}
    return CompanyProfile.model_validate(data)


def proposal_with_changes(
    proposal: ProposalDetails, version: int, changes: dict[str, Any]
) -> ProposalDetails:
    data = {**proposal.model_dump(mode="json"), **changes, "version": version}
    return ProposalDetails.model_validate(data)


def describe_changes(who: str, before: dict[str, Any], changes: dict[str, Any]) -> list[str]:
    """What a profile update changed, in words a person reads in a match's history."""
    described: list[str] = []
    for name, value in sorted(changes.items()):
        old = before.get(name)
        if name in LISTED_FIELDS and isinstance(value, list):
            kind = SINGULAR[name]
            described += [f"{who} added {kind} {item}" for item in value if item not in (old or [])]
            described += [f"{who} removed {kind} {item}" for item in old or [] if item not in value]
        elif old != value:
            described.append(f"{who} changed {name.replace('_', ' ')}")
    return described


def factor_changes(before: list[MatchFactor], after: list[MatchFactor]) -> list[str]:
    """Each factor whose contribution moved, old → new."""
    old = {factor.factor: factor.contribution for factor in before}
    return [
        f"{factor.factor} {old.get(factor.factor, 0.0):.3f} -> {factor.contribution:.3f}"
        for factor in after
        if abs(factor.contribution - old.get(factor.factor, 0.0)) > MATERIAL_CHANGE
    ]
