"""The matching benchmark on public history: would the desk have put the real implementers
of past Smart JAMP studies near the top? Ranks every company of a pool for every project
with the service's own scoring, next to a random order and a tags-only overlap."""

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from services.matching.scoring.features import CompanyFeatures, ProposalFeatures
from services.matching.scoring.matrices import Space, company_matrix, proposal_matrix, score_matrix
from services.matching.scoring.vectors import proposal_vector, vectors

CUTOFFS = (1, 3, 5)
RANDOM_DRAWS = 1000
DATA = Path(__file__).parent.parent / "data"


@dataclass(frozen=True)
class Project:
    features: ProposalFeatures
    implementers: list[str]


@dataclass(frozen=True)
class Result:
    method: str
    ranks: list[list[float]]
    """Per project, the rank (1 = first) of each real implementer in the pool."""
    mrr: float
    recall: dict[int, float]

    @classmethod
    def of(cls, method: str, ranks: list[list[float]]) -> "Result":
        scored = [found for found in ranks if found]
        mrr = float(np.mean([1.0 / min(found) for found in scored]))
        recall = {
            k: float(np.mean([np.mean([r <= k for r in found]) for found in scored]))
            for k in CUTOFFS
        }
        return cls(method, ranks, mrr, recall)

    @classmethod
    def mean(cls, method: str, draws: Sequence["Result"]) -> "Result":
        """The expected figures over many draws of the order of ties."""
        ranks = [
            [float(np.mean([draw.ranks[p][i] for draw in draws])) for i in range(len(found))]
            for p, found in enumerate(draws[0].ranks)
        ]
        recall = {k: float(np.mean([draw.recall[k] for draw in draws])) for k in CUTOFFS}
        return cls(method, ranks, float(np.mean([draw.mrr for draw in draws])), recall)


def _split(value: str | None) -> frozenset[str]:
    return frozenset(part.strip() for part in (value or "").split(";") if part.strip())


def load_companies(path: Path) -> list[CompanyFeatures]:
    """id, name, capability_statement, focus_areas, tags (; separated); countries and
    languages too when the file has them."""
    with path.open(encoding="utf-8") as file:
        return [
            CompanyFeatures(
                company_id=row["id"],
                name=row["name"],
                focus_areas=_split(row["focus_areas"]),
                tags=_split(row["tags"]),
                statement=row["capability_statement"],
                countries=_split(row.get("countries")),
                languages=_split(row.get("languages")),
            )
            for row in csv.DictReader(file)
        ]


def load_projects(path: Path) -> list[Project]:
    """id, city, country, title, description, stage, focus_areas, tags, implementers."""
    with path.open(encoding="utf-8") as file:
        return [
            Project(
                ProposalFeatures(
                    proposal_id=row["id"],
                    city_id=row["city"],
                    country=row["country"],
                    title=row["title"],
                    description=row["description"],
                    focus_areas=_split(row["focus_areas"]),
                    tags=_split(row["tags"]),
                    stage=row["stage"],
                    financing=_split(row.get("financing")),
                ),
                sorted(_split(row["implementers"])),
            )
            for row in csv.DictReader(file)
        ]


def service_scores(
    companies: Sequence[CompanyFeatures], projects: Sequence[Project]
) -> NDArray[np.float32]:
    """Exactly what the service computes: pool statistics, vectors, the score matrix."""
    stats, company_vectors = vectors(companies)
    space = Space.of(stats)
    proposals = [proposal_vector(project.features, stats) for project in projects]
    return score_matrix(proposal_matrix(proposals, space), company_matrix(company_vectors, space))


def tag_scores(
    companies: Sequence[CompanyFeatures], projects: Sequence[Project]
) -> NDArray[np.float32]:
    """Baseline: how many of the project's tags the company claims, every tag alike."""
    return np.array(
        [[len(p.features.tags & c.tags) for c in companies] for p in projects], dtype=np.float32
    )


def ranks_of(
    scores: NDArray[np.float32],
    companies: Sequence[CompanyFeatures],
    projects: Sequence[Project],
    tie_break: NDArray[np.int64],
) -> list[list[float]]:
    """Rank of each implementer, ties broken by the order ``tie_break`` gives the pool."""
    ids = [company.company_id for company in companies]
    ranked: list[list[float]] = []
    for row, project in zip(scores, projects, strict=True):
        order = np.lexsort((tie_break, -row))
        place = {ids[company]: rank for rank, company in enumerate(order, start=1)}
        ranked.append([place[name] for name in project.implementers if name in place])
    return ranked


def tie_orders(companies: int, seed: int) -> list[NDArray[np.int64]]:
    """The random orders every method's ties are broken by, the same for all methods."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(companies) for _ in range(RANDOM_DRAWS)]


def measure(
    method: str,
    scores: NDArray[np.float32],
    companies: Sequence[CompanyFeatures],
    projects: Sequence[Project],
    orders: Sequence[NDArray[np.int64]],
) -> Result:
    """The expected figures over random orders of the ties: a score that ties the
    implementer with others has not placed it first, and one lucky order of the ties
    (a coarse score ties much) must not count as if it had. Random is the score that ties
    every company."""
    draws = [Result.of(method, ranks_of(scores, companies, projects, o)) for o in orders]
    return Result.mean(method, draws)


def run(
    companies: Sequence[CompanyFeatures], projects: Sequence[Project], seed: int = 7
) -> list[Result]:
    """The service's scoring, tags-only overlap and random order, measured on the same pool."""
    orders = tie_orders(len(companies), seed)
    shape = (len(projects), len(companies))
    return [
        measure(method, scores, companies, projects, orders)
        for method, scores in (
            ("scoring", service_scores(companies, projects)),
            ("tags-only", tag_scores(companies, projects)),
            ("random", np.zeros(shape, np.float32)),
        )
    ]
