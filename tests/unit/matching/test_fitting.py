"""Fitting: the pairwise objective recovers the weights that made the rankings."""

import numpy as np
import pytest

from services.matching.scoring.factors import FACTORS
from services.matching.scoring.fitting import Example, fit, scores


def synthetic(true: np.ndarray, projects: int, seed: int) -> list[Example]:
    """Random factor values; each project's implementer is the company the true weights
    (and a little noise) put first."""
    rng = np.random.default_rng(seed)
    examples = []
    for _ in range(projects):
        values = rng.random((30, len(FACTORS)))
        best = np.argmax(values @ true + rng.normal(0, 0.01, 30))
        examples.append(Example(values, np.arange(30) == best))
    return examples


@pytest.mark.parametrize("seed", [1, 2])
def test_fitting_recovers_the_weights_that_made_the_rankings(seed: int) -> None:
    true = np.random.default_rng(seed).dirichlet(np.ones(len(FACTORS)))
    fitted = fit(synthetic(true, 300, seed))
    assert np.allclose([fitted[name] for name in FACTORS], true, atol=0.03)


def test_fitted_weights_are_non_negative_and_sum_to_one() -> None:
    true = np.zeros(len(FACTORS))
    true[0] = 1.0  # one factor alone decides: the others must not go negative
    fitted = fit(synthetic(true, 100, 3))
    assert min(fitted.values()) >= 0.0
    assert sum(fitted.values()) == pytest.approx(1.0)
    assert max(fitted, key=lambda name: fitted[name]) == FACTORS[0]


def test_fitted_weights_rank_unseen_projects_better_than_uniform_ones() -> None:
    true = np.random.default_rng(4).dirichlet(np.ones(len(FACTORS)) * 0.3)
    fitted = fit(synthetic(true, 200, 4))
    uniform = dict.fromkeys(FACTORS, 1 / len(FACTORS))

    def hits(weights: dict[str, float]) -> int:
        unseen = synthetic(true, 200, 5)
        return sum(int(e.positive[np.argmax(scores(e, weights))]) for e in unseen)

    assert hits(fitted) > hits(uniform)


def test_nothing_to_learn_from_is_refused() -> None:
    nobody = Example(np.zeros((3, len(FACTORS))), np.zeros(3, dtype=bool))
    with pytest.raises(ValueError, match="no project"):
        fit([nobody])
