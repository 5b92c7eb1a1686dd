"""The in-memory index: updated in place, it scores exactly as one built from scratch."""

import numpy as np

from services.matching.bench.desk import generate
from services.matching.index.board import Board, Entry
from services.matching.index.pool import Pool
from services.matching.scoring.features import FINANCING_SIGNS, SIGN_ANCHORS, STAGE_SIGNS

DESK = generate(120, 15, seed=3)


class TestPool:
    def test_columns_and_rows_replaced_in_place_equal_a_fresh_build(self) -> None:
        pool = Pool.of(DESK.companies[:100], DESK.proposals[:10])
        final = list(DESK.companies)
        for n in range(0, 100, 7):  # updates in place
            final[n] = final[n].model_copy(update={"tags": ["flood_control"], "version": 2})
            pool.put_company(final[n])
        for company in final[100:]:  # registrations
            pool.put_company(company)
        for proposal in DESK.proposals[10:]:
            pool.put_proposal(proposal)
        pool.drop_proposal(DESK.proposals[0].proposal_id)
        pool.refresh()

        fresh = Pool.of(final, DESK.proposals[1:])
        for proposal in DESK.proposals[1:]:
            row = pool.row_scores(proposal.proposal_id)
            expected = fresh.row_scores(proposal.proposal_id)
            order = [fresh.position[pool.company_id(n)] for n in range(pool.size)]
            assert np.allclose(row, expected[order], atol=1e-6)

    def test_between_refreshes_one_company_moves_only_its_own_column(self) -> None:
        pool = Pool.of(DESK.companies, DESK.proposals)
        before = pool.scores.copy()
        changed = DESK.companies[5].model_copy(update={"tags": ["flood_control"], "version": 2})
        position = pool.put_company(changed)
        others = np.ones(pool.scores.shape[1], bool)
        others[position] = False
        assert np.array_equal(before[:, others], pool.scores[:, others])
        assert pool.changed == 1 and not pool.stale(share=0.25, seconds=3600)

    def test_a_suspended_company_is_blocked(self) -> None:
        pool = Pool.of(DESK.companies, DESK.proposals)
        suspended = DESK.companies[3].model_copy(update={"status": "suspended", "version": 2})
        position = pool.put_company(suspended)
        assert pool.blocked()[position]


class TestBoard:
    def test_exposure_counts_open_lists_and_knows_who_is_capped(self) -> None:
        board = Board(cap=2)
        board.put(Entry("m1", "p1", "c", "proposed"))
        board.put(Entry("m2", "p2", "c", "accepted_by_city"))
        assert board.exposure["c"] == 2 and board.capped == {"c"}
        board.put(Entry("m2", "p2", "c", "declined"))
        assert board.exposure["c"] == 1 and board.capped == set()
        assert board.lists_of("c") == {"p1"} and board.listed("p2") == []


class TestSignAnchors:
    def test_every_text_a_sign_matches_holds_one_of_its_anchors(self) -> None:
        texts = [c.text for c in DESK.features] + [
            "Master plan of Hanoi",
            "F/S for JICA grant aid",
            "Proof of concept (PoC) deployment",
            "PPP concession, JBIC loan and JOIN equity",
            "スマートジャンプ 調査 実証 導入 円借款 自治体予算",
        ]
        for name, pattern in {**STAGE_SIGNS, **FINANCING_SIGNS}.items():
            for text in texts:
                if pattern.search(text):
                    assert any(anchor in text.lower() for anchor in SIGN_ANCHORS[name]), name
