"""The match score: eight factors, each in [0, 1], weighted and summed. Pure.

``factor_values`` scores one pair in plain Python and ``explain`` adds the evidence a
person can check; ``score_matrix`` (services.matching.scoring.matrices) computes the same numbers
for every pair at once. A unit test holds the two to each other.
"""

from collections.abc import Mapping

from services.matching.scoring.features import WORKING_LANGUAGE
from services.matching.scoring.vectors import CompanyVector, ProposalVector
from shared.contracts.matching import MatchFactor

WEIGHTS: Mapping[str, float] = {
    "tag_overlap": 0.30,
    "text_similarity": 0.27,
    "focus_area_overlap": 0.08,
    "country_experience": 0.10,
    "stage_fit": 0.07,
    "financing_fit": 0.04,
    "language": 0.04,
    "sector_history": 0.10,
}
"""The hand-set weights: what scores until weights fitted on the track record are loaded
(services.matching.scoring.weights)."""
FACTORS = tuple(WEIGHTS)
WORKING_LANGUAGE_ONLY = 0.5
"""English alone half fits: ASCN works in it, but a local language opens more doors."""
EVIDENCE_TERMS = 8


def factor_values(company: CompanyVector, proposal: ProposalVector) -> dict[str, float]:
    """Each factor's value in [0, 1] for one pair."""
    return {
        "tag_overlap": sum(w for tag, w in proposal.tags.items() if tag in company.tags),
        "text_similarity": min(1.0, sum(_term_contributions(company, proposal).values())),
        "focus_area_overlap": sum(w for a, w in proposal.areas.items() if a in company.areas),
        "country_experience": 0.5 * (proposal.country in company.declared_countries)
        + 0.5 * (proposal.country in company.referenced_countries),
        "stage_fit": min(1.0, _fit(proposal.stages, company.stages)),
        "financing_fit": _fit(proposal.financing, company.financing),
        "language": _language(company, proposal),
        "sector_history": sum(w for tag, w in proposal.tags.items() if tag in company.history),
    }


def total(values: Mapping[str, float], weights: Mapping[str, float] = WEIGHTS) -> float:
    return sum(weights[name] * values[name] for name in weights)


def explain(
    company: CompanyVector, proposal: ProposalVector, weights: Mapping[str, float] = WEIGHTS
) -> tuple[float, list[MatchFactor]]:
    """The score and every factor's contribution with its evidence, strongest first."""
    values = factor_values(company, proposal)
    evidence = _evidence(company, proposal)
    factors = [
        MatchFactor(
            factor=name,
            contribution=round(weights[name] * values[name], 4),
            evidence=evidence[name] if values[name] else [],
        )
        for name in weights
    ]
    factors.sort(key=lambda factor: -factor.contribution)
    return round(total(values, weights), 4), factors


def _term_contributions(company: CompanyVector, proposal: ProposalVector) -> dict[str, float]:
    return {
        term: weight * company.terms[term]
        for term, weight in proposal.terms.items()
        if term in company.terms
    }


def _fit(wanted: Mapping[str, float], shown: Mapping[str, tuple[float, list[str]]]) -> float:
    return sum(weight * shown[name][0] for name, weight in wanted.items() if name in shown)


def _language(company: CompanyVector, proposal: ProposalVector) -> float:
    if proposal.local_languages & company.languages:
        return 1.0
    return WORKING_LANGUAGE_ONLY if WORKING_LANGUAGE in company.languages else 0.0


def _evidence(company: CompanyVector, proposal: ProposalVector) -> dict[str, list[str]]:
    terms = _term_contributions(company, proposal)
    strongest = sorted(terms, key=lambda term: -terms[term])[:EVIDENCE_TERMS]
    country = proposal.country
    return {
        "tag_overlap": [f"tag {tag}" for tag in sorted(proposal.tags) if tag in company.tags],
        "text_similarity": [f"term '{term}'" for term in strongest],
        "focus_area_overlap": [
            f"focus area {a}" for a in sorted(proposal.areas) if a in company.areas
        ],
        "country_experience": (
            [f"declares experience in {country}"] if country in company.declared_countries else []
        )
        + [
            f"{reference} in {country}"
            for reference in company.referenced_countries.get(country, [])
        ],
        "stage_fit": _shown(proposal.stages, company.stages, "stage"),
        "financing_fit": _shown(proposal.financing, company.financing, "financing"),
        "language": sorted(company.languages & (proposal.local_languages | {WORKING_LANGUAGE})),
        "sector_history": sorted(
            {
                f"{study} (tag {tag})"
                for tag in proposal.tags
                for study in company.history.get(tag, [])
            }
        ),
    }


def _shown(
    wanted: Mapping[str, float], shown: Mapping[str, tuple[float, list[str]]], kind: str
) -> list[str]:
    return [f"{kind} {name}: {item}" for name in wanted if name in shown for item in shown[name][1]]
