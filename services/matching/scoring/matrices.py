"""Every pair scored at once: the vectors stacked into (sparse) matrices. Pure.

A proposal x company score is a handful of matrix products, one per factor, accumulated
in float32. Text is sparse x sparse: its cost follows the pairs that share a term, not
proposals x companies x vocabulary.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from services.matching.scoring.csr import Csr, products
from services.matching.scoring.factors import WEIGHTS, WORKING_LANGUAGE_ONLY
from services.matching.scoring.features import (
    COUNTRIES,
    FINANCING,
    LANGUAGE_CODES,
    STAGES,
    WORKING_LANGUAGE,
)
from services.matching.scoring.vectors import CompanyVector, CorpusStats, ProposalVector
from shared.contracts.vocabulary import focus_areas, solution_tags

Matrix = NDArray[np.float32]
NOT_LISTABLE = np.float32(-1.0)
"""The score of a pair without topical evidence: below every floor."""
TEXT_EVIDENCE = 0.1
"""Text similarity from which shared words alone count as topical evidence."""


@dataclass(frozen=True)
class Space:
    """The columns: one per tag, focus area, term, country, language, stage, financing."""

    tags: dict[str, int]
    areas: dict[str, int]
    terms: dict[str, int]

    @classmethod
    def of(cls, stats: CorpusStats) -> "Space":
        tags = sorted(solution_tags() | stats.tag_df.keys())
        areas = sorted(focus_areas() | stats.area_df.keys())
        return cls(_axis(tags), _axis(areas), _axis(sorted(stats.term_df)))


def _axis(names: Sequence[str]) -> dict[str, int]:
    return {name: column for column, name in enumerate(names)}


COUNTRY_AXIS = _axis(COUNTRIES)
LANGUAGE_AXIS = _axis(LANGUAGE_CODES)
STAGE_AXIS = _axis(STAGES)
FINANCING_AXIS = _axis(FINANCING)


@dataclass(frozen=True)
class CompanyMatrix:
    ids: list[str]
    tags: Matrix
    areas: Matrix
    terms: Csr
    declared: Matrix
    referenced: Matrix
    languages: Matrix
    stages: Matrix
    financing: Matrix
    history: Matrix
    """Tags of the studies each company carried out (its sector history)."""


@dataclass(frozen=True)
class ProposalMatrix:
    ids: list[str]
    tags: Matrix
    areas: Matrix
    terms: Csr
    countries: Matrix
    local_languages: Matrix
    stages: Matrix
    financing: Matrix


def company_matrix(companies: Sequence[CompanyVector], space: Space) -> CompanyMatrix:
    return CompanyMatrix(
        ids=[company.company_id for company in companies],
        tags=_dense([dict.fromkeys(c.tags, 1.0) for c in companies], space.tags),
        areas=_dense([dict.fromkeys(c.areas, 1.0) for c in companies], space.areas),
        terms=Csr.of([c.terms for c in companies], space.terms),
        declared=_dense(
            [dict.fromkeys(c.declared_countries, 1.0) for c in companies], COUNTRY_AXIS
        ),
        referenced=_dense(
            [dict.fromkeys(c.referenced_countries, 1.0) for c in companies], COUNTRY_AXIS
        ),
        languages=_dense([dict.fromkeys(c.languages, 1.0) for c in companies], LANGUAGE_AXIS),
        stages=_dense([_strengths(c.stages) for c in companies], STAGE_AXIS),
        financing=_dense([_strengths(c.financing) for c in companies], FINANCING_AXIS),
        history=_dense([dict.fromkeys(c.history, 1.0) for c in companies], space.tags),
    )


def proposal_matrix(proposals: Sequence[ProposalVector], space: Space) -> ProposalMatrix:
    return ProposalMatrix(
        ids=[proposal.proposal_id for proposal in proposals],
        tags=_dense([p.tags for p in proposals], space.tags),
        areas=_dense([p.areas for p in proposals], space.areas),
        terms=Csr.of([p.terms for p in proposals], space.terms),
        countries=_dense([{p.country: 1.0} for p in proposals], COUNTRY_AXIS),
        local_languages=_dense(
            [dict.fromkeys(p.local_languages, 1.0) for p in proposals], LANGUAGE_AXIS
        ),
        stages=_dense([p.stages for p in proposals], STAGE_AXIS),
        financing=_dense([p.financing for p in proposals], FINANCING_AXIS),
    )


def _strengths(shown: Mapping[str, tuple[float, list[str]]]) -> dict[str, float]:
    return {name: strength for name, (strength, _) in shown.items()}


def _dense(rows: Sequence[Mapping[str, float]], axis: Mapping[str, int]) -> Matrix:
    matrix = np.zeros((len(rows), len(axis)), dtype=np.float32)
    for row, values in enumerate(rows):
        for name, value in values.items():
            if name in axis:
                matrix[row, axis[name]] = value
    return matrix


def score_matrix(
    proposals: ProposalMatrix, companies: CompanyMatrix, weights: Mapping[str, float] = WEIGHTS
) -> Matrix:
    """Proposals x companies: the same totals ``scoring.total(factor_values(...))`` gives."""
    return _weighted(factor_matrices(proposals, companies), weights)


def listable_matrix(
    proposals: ProposalMatrix, companies: CompanyMatrix, weights: Mapping[str, float] = WEIGHTS
) -> Matrix:
    """The scores, with ``NOT_LISTABLE`` where a pair shows no topical evidence: country and
    language alone never put a company on a list."""
    parts = factor_matrices(proposals, companies)
    scores = _weighted(parts, weights)
    topical = (
        (parts["tag_overlap"] > 0)
        | (parts["focus_area_overlap"] > 0)
        | (parts["text_similarity"] >= TEXT_EVIDENCE)
    )
    scores[~topical] = NOT_LISTABLE
    return scores


def _text_products(proposals: Csr, companies: Csr) -> Matrix:
    """Proposals' terms · companies' terms, summed in the order of the side with more rows
    (the pool, or a slice of proposals against one company's update)."""
    if companies.rows <= proposals.rows:
        return products(proposals, companies)
    return products(companies, proposals).T


def factor_matrices(proposals: ProposalMatrix, companies: CompanyMatrix) -> dict[str, Matrix]:
    """Each factor's proposals x companies values (country counts declared and referenced
    experience as 0 to 2: ``_weighted`` halves it)."""
    english = companies.languages[:, LANGUAGE_AXIS[WORKING_LANGUAGE]]
    local = np.minimum(proposals.local_languages @ companies.languages.T, 1.0)
    text = _text_products(proposals.terms, companies.terms)
    return {
        "tag_overlap": proposals.tags @ companies.tags.T,
        "text_similarity": np.minimum(text, 1.0, dtype=np.float32),
        "focus_area_overlap": proposals.areas @ companies.areas.T,
        "country_experience": proposals.countries @ (companies.declared + companies.referenced).T,
        "stage_fit": np.minimum(proposals.stages @ companies.stages.T, 1.0),
        "financing_fit": proposals.financing @ companies.financing.T,
        "language": np.maximum(local, WORKING_LANGUAGE_ONLY * english[np.newaxis, :]),
        "sector_history": proposals.tags @ companies.history.T,
    }


def _weighted(parts: Mapping[str, Matrix], weights: Mapping[str, float]) -> Matrix:
    shape = next(iter(parts.values())).shape
    scores = np.zeros(shape, dtype=np.float32)
    for name, values in parts.items():
        # Country: declared and referenced experience each count half.
        factor = 0.5 if name == "country_experience" else 1.0
        scores += np.float32(weights[name] * factor) * values.astype(np.float32, copy=False)
    return scores
