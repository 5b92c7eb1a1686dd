"""Lists: best first, vetoes out, pinned answers kept, and the exposure cap."""

import numpy as np

from services.matching.scoring.selection import ListRules, refresh_list, select_all


def scores(*rows: list[float]) -> np.ndarray:
    return np.array(rows, dtype=np.float32)


class TestOneList:
    def test_best_first_above_the_floor(self) -> None:
        chosen = refresh_list(
            scores([0.9, 0.01, 0.5, 0.7])[0], np.zeros(4, np.int64), ListRules(size=3)
        )
        assert chosen == [0, 3, 2]

    def test_vetoed_and_capped_companies_are_skipped(self) -> None:
        exposure = np.array([0, 2, 0, 0])
        chosen = refresh_list(
            scores([0.9, 0.8, 0.7, 0.6])[0], exposure, ListRules(size=2, cap=2), vetoed={0}
        )
        assert chosen == [2, 3]

    def test_a_pinned_answer_keeps_its_place_whatever_its_score(self) -> None:
        chosen = refresh_list(
            scores([0.9, 0.8, 0.02])[0], np.zeros(3, np.int64), ListRules(size=2), pinned=[2]
        )
        assert chosen == [0, 2]


class TestAllLists:
    def test_the_exposure_cap_lets_the_next_best_in(self) -> None:
        board = scores([0.9, 0.5, 0.4], [0.8, 0.3, 0.6], [0.7, 0.2, 0.1])
        lists = select_all(board, ListRules(size=1, cap=2))
        assert lists == [[0], [0], [1]]

    def test_vetoed_pairs_never_appear(self) -> None:
        board = scores([0.9, 0.5])
        lists = select_all(board, ListRules(size=2), vetoed=np.array([[True, False]]))
        assert lists == [[1]]
