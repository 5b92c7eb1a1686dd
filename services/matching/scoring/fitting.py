"""Factor weights learned from who actually carried out past studies. Pure (NumPy, SciPy).

The objective is pairwise (RankNet's logistic loss): for every project, every real
implementer should score above every other company of the pool. Each project weighs the
same however many pairs it has; weights stay >= 0 (a factor is evidence for a company,
never against it) with a small L2 penalty, and are returned summing to 1 (a ranking does
not change with the scale of the scores).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize  # type: ignore[import-untyped]

from services.matching.scoring.factors import FACTORS

L2 = 1e-3
SCALE = 10.0
"""Scores of a few tenths apart must be able to mean near-certainty in the logistic loss."""


@dataclass(frozen=True)
class Example:
    """One project: every company's factor values (companies x factors, in ``FACTORS``
    order) and which companies carried it out."""

    values: NDArray[np.float64]
    positive: NDArray[np.bool_]

    def pairs(self) -> NDArray[np.float64]:
        """Implementer minus non-implementer factor values, one row per pair."""
        wins, losses = self.values[self.positive], self.values[~self.positive]
        return (wins[:, np.newaxis, :] - losses[np.newaxis, :, :]).reshape(-1, len(FACTORS))


def fit(examples: Sequence[Example], l2: float = L2) -> dict[str, float]:
    """Non-negative weights minimising the mean per-project pairwise logistic loss."""
    usable = [e for e in examples if e.positive.any() and (~e.positive).any()]
    if not usable:
        raise ValueError("no project has both an implementer in the pool and another company")
    differences = [example.pairs() for example in usable]
    share = np.concatenate([np.full(len(d), 1.0 / (len(d) * len(usable))) for d in differences])
    stacked = np.concatenate(differences) * SCALE

    def loss(w: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        margins = stacked @ w
        value = float(share @ np.logaddexp(0.0, -margins) + l2 * w @ w)
        slope = -share * _sigmoid(-margins)
        return value, stacked.T @ slope + 2 * l2 * w

    start = np.full(len(FACTORS), 1.0 / len(FACTORS))
    found = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=[(0.0, None)] * len(FACTORS))
    weights = np.maximum(found.x, 0.0)
    total = weights.sum()
    weights = weights / total if total > 0 else start
    return {name: float(weight) for name, weight in zip(FACTORS, weights, strict=True)}


def scores(example: Example, weights: Mapping[str, float]) -> NDArray[np.float64]:
    vector = np.array([weights[name] for name in FACTORS])
    return np.asarray(example.values @ vector, dtype=np.float64)


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), dtype=np.float64)
