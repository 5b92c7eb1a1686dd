"""Learning from the track record, measured on what was not learned from.

``cross_validate``: leave one project of the history out, fit on the rest, rank the one
left out. ``benchmark``: fit on the whole history (or take given weights), load the
history as track record, rank every project of a second file. In both, a project is never
scored with its own study among the references, nor with weights fitted on it: each
training project is itself scored with a track record that leaves it (and the held-out
project) out.
"""

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from services.matching.bench.quality import Project, Result, measure, tag_scores, tie_orders
from services.matching.scoring.factors import FACTORS
from services.matching.scoring.features import CompanyFeatures, ProposalFeatures
from services.matching.scoring.fitting import (
    L2_CHOICES,
    Example,
    fit,
    reciprocal_rank,
    scores,
)
from services.matching.scoring.history import Study, track_record
from services.matching.scoring.matrices import (
    Space,
    company_matrix,
    factor_matrices,
    proposal_matrix,
)
from services.matching.scoring.vectors import proposal_vector, vectors
from services.matching.scoring.weights import HAND_SET, Weights

SEED = 7


def project_of(study: Study) -> Project:
    features = ProposalFeatures(
        proposal_id=study.study_id,
        city_id=study.city,
        country=study.country,
        title=study.title,
        description=study.description,
        focus_areas=frozenset(study.focus_areas),
        tags=frozenset(study.tags),
        stage=study.stage,
    )
    return Project(features, sorted(study.implementers))


def with_record(
    companies: Sequence[CompanyFeatures], studies: Sequence[Study]
) -> list[CompanyFeatures]:
    """The pool with these studies added to their implementers' references."""
    record = track_record(studies)
    return [replace(c, references=c.references + record.get(c.company_id, ())) for c in companies]


def factor_values(
    companies: Sequence[CompanyFeatures], projects: Sequence[Project]
) -> NDArray[np.float64]:
    """Projects x companies x factors, as the service computes them (country halved as
    its score does)."""
    stats, company_vectors = vectors(companies)
    space = Space.of(stats)
    proposals = [proposal_vector(project.features, stats) for project in projects]
    parts = factor_matrices(
        proposal_matrix(proposals, space), company_matrix(company_vectors, space)
    )
    parts["country_experience"] = parts["country_experience"] * 0.5
    return np.stack([parts[name] for name in FACTORS], axis=-1).astype(np.float64)


def example(companies: Sequence[CompanyFeatures], study: Study, record: Sequence[Study]) -> Example:
    values = factor_values(with_record(companies, record), [project_of(study)])[0]
    ids = [company.company_id for company in companies]
    return Example(values, np.array([i in study.implementers for i in ids]))


def training(
    companies: Sequence[CompanyFeatures], studies: Sequence[Study], leave_out: Collection[str] = ()
) -> list[Example]:
    """Each study as an example scored with every other study (but ``leave_out``) as record."""
    return [
        example(
            companies,
            study,
            [s for s in studies if s.study_id != study.study_id and s.study_id not in leave_out],
        )
        for study in studies
        if study.study_id not in leave_out
    ]


def choose_l2(companies: Sequence[CompanyFeatures], studies: Sequence[Study]) -> float:
    """The pull toward the hand-set weights that ranks best when each of these studies is
    left out in turn (fitted on the rest, scored with a record without it): only the
    studies given are looked at. A tie goes to the stronger pull; with one study nothing
    can be validated and the strongest is taken."""
    if len(studies) < 2:
        return L2_CHOICES[-1]
    folds = []
    for study in studies:
        others = [s for s in studies if s.study_id != study.study_id]
        folds.append((training(companies, others), example(companies, study, others)))
    mean_rr = {
        l2: sum(reciprocal_rank(held, fit(train, l2)) for train, held in folds) for l2 in L2_CHOICES
    }
    return max(reversed(L2_CHOICES), key=lambda l2: mean_rr[l2])


def fit_weights(
    companies: Sequence[CompanyFeatures], studies: Sequence[Study], about: Mapping[str, object]
) -> Weights:
    """Fitted on every study, with the pull toward the hand-set weights chosen on them."""
    l2 = choose_l2(companies, studies)
    return Weights.fitted(fit(training(companies, studies), l2), {**about, "l2": l2})


@dataclass(frozen=True)
class Measured:
    results: list[Result]
    """fitted (or loaded), hand-set, tag-only, random: in this order."""
    projects: list[Project]
    ablation: dict[str, float]
    """Factor -> MRR of the scoring without it (the rest of the weights kept)."""


def _without(
    factor: str,
) -> Callable[[Example, Mapping[str, float]], NDArray[np.float64]]:
    """Scores with one factor's weight set to zero (the others as they were)."""
    return lambda example, weights: scores(example, {**weights, factor: 0.0})


def _measure(
    companies: Sequence[CompanyFeatures],
    projects: Sequence[Project],
    held_out: Sequence[tuple[Example, Mapping[str, float]]],
    label: str,
) -> Measured:
    """Every method on the same projects, each over the same random orders of its ties."""
    orders = tie_orders(len(companies), SEED)

    def measured(
        method: str, scorer: Callable[[Example, Mapping[str, float]], NDArray[np.float64]]
    ) -> Result:
        matrix = np.array([scorer(ex, w) for ex, w in held_out], dtype=np.float32)
        return measure(method, matrix, companies, projects, orders)

    shape = (len(projects), len(companies))
    results = [
        measured(label, scores),
        measured("hand-set", lambda ex, _: scores(ex, HAND_SET.values)),
        measure("tags-only", tag_scores(companies, projects), companies, projects, orders),
        measure("random", np.zeros(shape, np.float32), companies, projects, orders),
    ]
    ablation = {name: measured(f"without {name}", _without(name)).mrr for name in FACTORS}
    return Measured(results, list(projects), ablation)


def cross_validate(companies: Sequence[CompanyFeatures], studies: Sequence[Study]) -> Measured:
    """Leave-one-project-out over the history: each project ranked with weights fitted on
    the others (the L2 pull chosen by a leave-one-out nested inside them) and a track
    record without its own study."""
    held_out: list[tuple[Example, Mapping[str, float]]] = []
    for study in studies:
        others = [s for s in studies if s.study_id != study.study_id]
        weights = fit(training(companies, others), choose_l2(companies, others))
        held_out.append((example(companies, study, others), weights))
    projects = [project_of(study) for study in studies]
    return _measure(companies, projects, held_out, "fitted (LOPO)")


def _refuse_overlap(history: Sequence[Study], projects: Sequence[Study]) -> None:
    overlap = {s.study_id for s in history} & {s.study_id for s in projects}
    if overlap:
        raise ValueError(f"projects also in the history: {', '.join(sorted(overlap))}")


def split_by_year(
    history: Sequence[Study], projects: Sequence[Study], year: str
) -> tuple[list[Study], list[Study]]:
    """Both files' studies cut at a fiscal year: the earlier ones are the history (fitted
    on, the track record), the rest the projects (scored unseen). Fiscal years are all
    ``FY20dd``, so they sort as text."""
    _refuse_overlap(history, projects)
    studies = [*history, *projects]
    earlier = [s for s in studies if s.fiscal_year < year]
    later = [s for s in studies if s.fiscal_year >= year]
    if not earlier or not later:
        raise ValueError(f"no study {'before' if not earlier else 'from'} {year}: nothing to cut")
    return earlier, later


def benchmark(
    companies: Sequence[CompanyFeatures],
    history: Sequence[Study],
    projects: Sequence[Study],
    weights: Weights,
) -> Measured:
    """The projects ranked with the whole history as track record and the given weights."""
    _refuse_overlap(history, projects)
    held_out = [(example(companies, study, history), weights.values) for study in projects]
    return _measure(companies, [project_of(s) for s in projects], held_out, weights.version)
