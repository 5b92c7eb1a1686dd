"""Fitting: the listwise objective recovers the weights that made the rankings, and its
L2 pull holds them to the hand-set ones."""

import numpy as np
import pytest

from services.matching.scoring.factors import FACTORS, WEIGHTS
from services.matching.scoring.fitting import Example, fit, reciprocal_rank, scores


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


def test_a_strong_l2_pull_keeps_the_hand_set_weights_and_none_lets_the_data_decide() -> None:
    true = np.zeros(len(FACTORS))
    true[0] = 1.0
    examples = synthetic(true, 50, 6)
    held = fit(examples, l2=1e4)
    free = fit(examples, l2=0.0)
    assert np.allclose([held[name] for name in FACTORS], [WEIGHTS[n] for n in FACTORS], atol=0.01)
    assert free[FACTORS[0]] > held[FACTORS[0]] + 0.3


def test_the_fitted_model_can_be_the_tag_count_baseline() -> None:
    # Projects the tag factor alone decides: the fit must be able to put all weight on it.
    true = np.zeros(len(FACTORS))
    true[FACTORS.index("tag_overlap")] = 1.0
    fitted = fit(synthetic(true, 200, 8))
    assert fitted["tag_overlap"] > 0.9


def test_the_reciprocal_rank_counts_ties_as_half_a_place() -> None:
    values = np.zeros((4, len(FACTORS)))
    values[:, 0] = [0.5, 0.9, 0.5, 0.1]
    example = Example(values, np.array([True, False, False, False]))
    assert reciprocal_rank(example, dict.fromkeys(FACTORS, 1.0)) == pytest.approx(1 / 2.5)


def test_a_factor_no_training_project_varies_keeps_its_hand_set_weight() -> None:
    true = np.zeros(len(FACTORS))
    true[0] = 1.0
    examples = synthetic(true, 50, 9)
    language = FACTORS.index("language")
    for example in examples:
        example.values[:, language] = 0.0  # no company of the pool states its languages
    fitted = fit(examples, l2=0.1)
    assert fitted["language"] == pytest.approx(WEIGHTS["language"], abs=1e-6)
