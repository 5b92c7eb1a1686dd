"""Lists: best first, vetoes out, pinned answers kept, and the exposure cap."""

import numpy as np

from services.matching.scoring.selection import ListRules, choose, favour, refresh_list, select_all


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


class TestStability:
    def test_an_open_entry_keeps_its_place_against_a_marginally_better_newcomer(self) -> None:
        row = scores([0.500, 0.503])[0]
        kept = choose(favour(row, [0]), np.zeros(2, np.bool_), ListRules(size=1))
        assert kept == [0]

    def test_a_clearly_better_newcomer_takes_the_place(self) -> None:
        row = scores([0.50, 0.60])[0]
        taken = choose(favour(row, [0]), np.zeros(2, np.bool_), ListRules(size=1))
        assert taken == [1]

    def test_the_order_of_arrival_does_not_change_a_near_tie(self) -> None:
        # Whichever of two near-equal companies came first stays: no flapping either way.
        row = scores([0.500, 0.503])[0]
        blocked = np.zeros(2, np.bool_)
        assert choose(favour(row, [1]), blocked, ListRules(size=1)) == [1]
        assert choose(favour(row, [0]), blocked, ListRules(size=1)) == [0]
