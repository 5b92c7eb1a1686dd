"""Factor weights learned from who actually carried out past studies. Pure (NumPy, SciPy).

The objective is listwise and fits what the benchmark measures (the rank of the first real
implementer, MRR): for every project, the log-probability that a softmax over the whole
pool puts one of its implementers first. Each project weighs the same. The weights stay on
the simplex (>= 0, a factor is evidence for a company, never against it; summing to 1, as
a ranking does not change with the scale of the scores) and the softmax's sharpness is
learned beside them. A factor that never differs between the companies of a training
project tells nothing: it keeps its hand-set weight (else it would soak up whatever
weight the L2 penalty finds cheapest to move, and act in production, where it does vary,
on the strength of no evidence). An L2 penalty pulls the weights toward the hand-set ones: with a
handful of studies the prior is worth more than the data, and how much more is chosen by
leave-one-project-out on the training studies alone (services.matching.bench.track).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize  # type: ignore[import-untyped]
from scipy.special import logsumexp, softmax  # type: ignore[import-untyped]

from services.matching.scoring.factors import FACTORS, WEIGHTS

L2 = 0.0
L2_CHOICES = (0.0, 0.01, 0.1, 1.0, 10.0)
"""The penalties the nested cross-validation chooses from, weakest first."""
LOG_SCALE = (0.0, 7.0)
"""Bounds of the log of the softmax's sharpness: score gaps of a few hundredths must be
able to mean near-certainty."""


@dataclass(frozen=True)
class Example:
    """One project: every company's factor values (companies x factors, in ``FACTORS``
    order) and which companies carried it out."""

    values: NDArray[np.float64]
    positive: NDArray[np.bool_]


def fit(
    examples: Sequence[Example], l2: float = L2, prior: Mapping[str, float] = WEIGHTS
) -> dict[str, float]:
    """Simplex weights maximising the mean log-probability that an implementer comes
    first, less ``l2`` times the squared distance to ``prior``."""
    usable = [e for e in examples if e.positive.any() and (~e.positive).any()]
    if not usable:
        raise ValueError("no project has both an implementer in the pool and another company")
    centre = np.array([prior[name] for name in FACTORS], dtype=np.float64)
    n = len(FACTORS)

    def loss(x: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        w, scale = x[:n], float(np.exp(x[n]))
        value, grad_w, grad_scale = 0.0, np.zeros(n), 0.0
        for example in usable:
            base = example.values @ w
            s = scale * base
            every, first = softmax(s), softmax(s[example.positive])
            value += logsumexp(s) - logsumexp(s[example.positive])
            push = every.copy()
            push[example.positive] -= first
            grad_w += scale * (example.values.T @ push)
            grad_scale += float(base @ push)
        gap = w - centre
        value = value / len(usable) + l2 * float(gap @ gap)
        gradient = np.append(grad_w / len(usable) + 2 * l2 * gap, grad_scale * scale / len(usable))
        return value, gradient

    silent = ~np.any([np.ptp(e.values, axis=0) > 0 for e in usable], axis=0)
    bounds = [(c, c) if quiet else (0.0, 1.0) for c, quiet in zip(centre, silent, strict=True)]
    start = np.append(centre, np.log(10.0))
    on_simplex = {
        "type": "eq",
        "fun": lambda x: x[:n].sum() - 1.0,
        "jac": lambda x: np.append(np.ones(n), 0.0),
    }
    found = minimize(
        loss,
        start,
        jac=True,
        method="SLSQP",
        bounds=[*bounds, LOG_SCALE],
        constraints=[on_simplex],
    )
    weights = np.maximum(found.x[:n], 0.0)
    weights = weights / weights.sum()
    return {name: float(weight) for name, weight in zip(FACTORS, weights, strict=True)}


def scores(example: Example, weights: Mapping[str, float]) -> NDArray[np.float64]:
    vector = np.array([weights[name] for name in FACTORS])
    return np.asarray(example.values @ vector, dtype=np.float64)


def reciprocal_rank(example: Example, weights: Mapping[str, float]) -> float:
    """1 / the rank of the best-placed implementer; a tie with others counts as half a
    place behind each of them (no order of the pool is favoured)."""
    scored = scores(example, weights)
    best = scored[example.positive].max()
    others = scored[~example.positive]
    return 1.0 / (1.0 + float((others > best).sum()) + 0.5 * float((others == best).sum()))
