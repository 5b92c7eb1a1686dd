"""The index's compact forms: they answer as the plain structures they replace."""

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
from scipy import sparse  # type: ignore[import-untyped]

from services.matching.bench.desk import generate
from services.matching.index.changes import Changes
from services.matching.index.columns import SPLICE_AT, CompanyColumns, Row, room, spliced
from services.matching.index.pool import Company, Pool
from services.matching.readmodel import company_features
from services.matching.scoring.csr import Csr, products
from services.matching.scoring.factors import explain
from services.matching.scoring.features import CompanyFeatures, Reference, term_counts
from services.matching.scoring.matrices import company_matrix
from services.matching.scoring.packed import CountRows, Interned, Packed
from services.matching.scoring.vectors import (
    CompanyVector,
    CorpusStats,
    company_vector,
    term_weights,
    vectors,
)

DESK = generate(60, 6, seed=11)


class TestPacked:
    def test_answers_as_the_dict_it_was_built_from(self) -> None:
        plain = {"water": 3, "supply": 1, "株式": 2}
        packed = Packed.counts(plain)
        assert dict(packed) == plain and len(packed) == 3 and list(packed) == list(plain)
        assert packed["株式"] == 2 and packed.get("absent") is None and "absent" not in packed
        assert list(packed.items()) == list(plain.items())
        assert list(packed.values()) == [3, 1, 2] and sum(packed.values()) == 6
        with pytest.raises(KeyError):
            packed["absent"]

    def test_weights_share_the_keys_of_the_counts(self) -> None:
        counts = Packed.counts({"water": 3, "supply": 1})
        weights = counts.alike([0.5, 0.25])
        assert weights.keys_ is counts.keys_ and dict(weights) == {"water": 0.5, "supply": 0.25}

    def test_keys_and_values_must_pair(self) -> None:
        with pytest.raises(ValueError, match="2 keys but 1 values"):
            Packed.counts({"a": 1, "b": 2}).alike([1.0])

    def test_weighs_as_a_counter_does(self) -> None:
        plain = {"water": 3, "supply": 1, "flood": 2}
        stats = CorpusStats.of_counted([(frozenset(), frozenset(), plain)])
        assert dict(term_weights(Packed.counts(plain), stats)) == term_weights(plain, stats)


class TestCountRows:
    """Every company's counts in two arrays of the pool answer as the dicts put."""

    def test_answers_as_the_dicts_put_as_they_are_replaced(self) -> None:
        rng = np.random.default_rng(7)
        words = [f"term{n}" for n in range(40)]
        rows, plain = CountRows(), list[dict[str, int]]()
        for step in range(400):
            picked = rng.choice(words, size=int(rng.integers(0, 12)), replace=False)
            counts = {str(word): int(rng.integers(1, 9)) for word in picked}
            # Mostly replacements (longer and shorter runs), new rows now and then.
            position = len(plain) if step % 5 == 0 or not plain else int(rng.integers(len(plain)))
            rows.put(position, counts)
            plain[position : position + 1] = [counts]
            assert len(rows) == len(plain)
        for position, counts in enumerate(plain):
            got = rows[position]
            assert list(got.items()) == list(counts.items())  # the order, too
        assert 0 < rows.runs.idle <= rows.runs.held // 2  # packed as runs were left behind
        assert rows.terms == len({term for counts in plain for term in counts})

    def test_a_profile_rewritten_with_new_words_keeps_only_its_present_terms(self) -> None:
        rows = CountRows()
        rows.put(0, {"water": 2, "supply": 1})
        for rewrite in range(1000):  # every rewrite other words, one word kept throughout
            rows.put(1, {"flood": 1, **{f"word{rewrite}-{n}": 1 for n in range(20)}})
        assert rows.terms == 2 + 21 and rows.numbered <= 2 + 2 * 21
        assert dict(rows[0]) == {"water": 2, "supply": 1}
        assert dict(rows[1]) == {"flood": 1, **{f"word999-{n}": 1 for n in range(20)}}

    def test_a_position_past_the_next_row_is_refused(self) -> None:
        with pytest.raises(IndexError, match="position 1 past 0 runs"):
            CountRows().put(1, {"water": 1})

    def test_the_pool_keeps_the_counts_and_profiles_of_its_companies(self) -> None:
        pool = Pool.of(DESK.companies[:30], [])
        for profile in DESK.companies[30:]:
            pool.put_company(profile)
        replaced = [
            c.model_copy(update={"capability_statement": "Water supply.", "version": 2})
            for c in DESK.companies[:10]
        ]  # another text: fewer, other counts
        for profile in replaced:
            pool.put_company(profile)
        for profile in [*replaced, *DESK.companies[10:]]:
            kept = pool.companies[pool.position[profile.company_id]]
            expected = term_counts(pool.scoring.features(profile).text)
            assert list(pool.counted(kept).items()) == list(expected.items())
            assert pool.stored(profile.company_id) == profile


def test_equal_terms_of_different_texts_are_one_object() -> None:
    first = term_counts("海洋水道エンジニアリング株式会社 water")
    second = term_counts("山田建設株式会社 waters")
    for term in ("株式", "会社", "water"):
        [a] = [key for key in first if key == term]
        [b] = [key for key in second if key == term]
        assert a is b


def test_interned_hands_out_one_copy_of_equal_values() -> None:
    same: Interned[frozenset[str]] = Interned()
    first = same(frozenset({"VN", "JP"}))
    assert same(frozenset({"JP", "VN"})) is first and len(same) == 1
    assert same(frozenset({"PH"})) is not first and len(same) == 2


class TestSpliced:
    @staticmethod
    def _rows(count: int, seed: int) -> list[Row]:
        rng = np.random.default_rng(seed)
        rows: list[Row] = []
        for _ in range(count):
            columns = np.sort(rng.choice(30, size=int(rng.integers(0, 6)), replace=False))
            rows.append((columns.astype(np.int32), rng.random(len(columns)).astype(np.float32)))
        return rows

    @staticmethod
    def _csr(rows: list[Row]) -> Csr:
        return _csr(rows, 30)

    @pytest.mark.parametrize("replaced", [[], [0], [4], [9], [2, 3, 7], [0, 9], [10, 12], [3, 11]])
    def test_equals_the_matrix_stacked_from_every_row(self, replaced: list[int]) -> None:
        base_rows, new_rows = self._rows(10, seed=1), self._rows(13, seed=2)
        size = max([10, *(p + 1 for p in replaced)])
        expected = [new_rows[p] if p in replaced else base_rows[p] for p in range(min(10, size))]
        empty: Row = (np.zeros(0, np.int32), np.zeros(0, np.float32))
        expected += [new_rows[p] if p in replaced else empty for p in range(10, size)]
        got = spliced(self._csr(base_rows), {p: new_rows[p] for p in replaced}, size, 30)
        assert got.shape == (size, 30) and got.indptr.dtype == np.int64
        assert np.array_equal(got.toarray(), self._csr(expected).toarray())
        assert np.array_equal(got.indptr, self._csr(expected).indptr)

    def test_a_smaller_size_keeps_the_first_rows(self) -> None:
        rows = self._rows(10, seed=3)
        got = spliced(self._csr(rows), {}, 4, 30)
        assert np.array_equal(got.toarray(), self._csr(rows[:4]).toarray())


def _csr(rows: list[Row], width: int) -> Csr:
    indptr = np.concatenate([[0], np.cumsum([len(i) for i, _ in rows])]).astype(np.int64)
    indices = np.concatenate([i for i, _ in rows]) if rows else np.zeros(0, np.int32)
    data = np.concatenate([d for _, d in rows]) if rows else np.zeros(0, np.float32)
    return Csr(indptr, indices.astype(np.int32), data.astype(np.float32), width)


def _random_rows(count: int, width: int, most: int, seed: int) -> list[Row]:
    rng = np.random.default_rng(seed)
    rows: list[Row] = []
    for _ in range(count):
        columns = rng.choice(width, size=int(rng.integers(0, most + 1)), replace=False)
        weights = rng.random(len(columns)).astype(np.float32)
        rows.append((columns.astype(np.int32), weights))  # columns unsorted, as terms come
    return rows


class TestProducts:
    """The hand-written product gives what scipy's sparse · dense product gave, bit for
    bit: each cell summed in float32 in the order the side with more rows holds it."""

    @pytest.mark.parametrize(("many", "few"), [(300, 1), (300, 7), (40, 40), (1, 1), (5, 0)])
    def test_equals_scipy_to_the_last_bit(self, many: int, few: int) -> None:
        left = _csr(_random_rows(many, 50, 30, seed=many), 50)
        right = _csr(_random_rows(few, 50, 12, seed=few + 1), 50)
        scipy_left = sparse.csr_matrix((left.data, left.indices, left.indptr), shape=left.shape)
        scipy_right = sparse.csr_matrix(
            (right.data, right.indices, right.indptr), shape=right.shape
        )
        expected = np.asarray(scipy_left @ scipy_right.T.toarray(), dtype=np.float32)
        assert products(left, right).tobytes() == expected.tobytes()

    def test_pairs_are_expanded_a_block_at_a_time(self, monkeypatch: pytest.MonkeyPatch) -> None:
        left = _csr(_random_rows(200, 20, 15, seed=3), 20)
        right = _csr(_random_rows(30, 20, 10, seed=4), 20)
        whole = products(left, right)
        monkeypatch.setattr("services.matching.scoring.csr.PAIRS_AT_ONCE", 7)
        assert products(left, right).tobytes() == whole.tobytes()

    def test_slices_and_dense_form(self) -> None:
        rows = _random_rows(6, 10, 4, seed=5)
        matrix = _csr(rows, 10)
        assert np.array_equal(matrix.slice(slice(2, 5)).toarray(), matrix.toarray()[2:5])
        assert matrix.slice(slice(6, 9)).shape == (0, 10)


def test_the_service_starts_without_scipy() -> None:
    """scipy.sparse alone was ~13 MB of matching's idle memory: the scheduler and the
    weight fitting import scipy when they solve, never at start."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, services.matching.app; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("'")
    assert "services.matching.app" in loaded
    assert not [name for name in loaded if name == "scipy" or name.startswith("scipy.")]


def test_replaced_rows_are_spliced_in_before_they_pile_up() -> None:
    """Registrations alone never ask for the matrix: the rows they put are spliced in once
    there are ``SPLICE_AT`` of them, and the matrix is what stacking every row gives."""
    pool = Pool.of(DESK.companies[:5], [])
    generated = generate(SPLICE_AT + 10, 1, seed=5).companies
    for company in generated:
        pool.put_company(company)
    assert 0 < len(pool.columns.replaced) < SPLICE_AT
    stacked = CompanyColumns.of(pool.space, [pool.weighted(company) for company in pool.companies])
    got = pool.columns.matrix(pool.size).terms
    assert np.array_equal(got.toarray(), stacked.matrix(pool.size).terms.toarray())


def test_rows_of_zeros_and_ones_are_kept_as_bytes_and_handed_out_as_stacked() -> None:
    pool = Pool.of(DESK.companies, DESK.proposals)
    kept = {name: matrix.dtype for name, matrix in pool.columns.dense.items()}
    assert kept["stages"] == kept["financing"] == np.float32
    assert {kept[name] for name in kept.keys() - {"stages", "financing"}} == {np.dtype(np.uint8)}
    stacked = company_matrix([pool.weighted(company) for company in pool.companies], pool.space)
    got = pool.company_matrix()
    for name in kept:
        assert getattr(got, name).dtype == np.float32
        assert np.array_equal(getattr(got, name), getattr(stacked, name))


def test_room_is_a_quarter_more_than_the_pool() -> None:
    assert room(0) == 1024 and room(10_000) == 12_500


class TestCompactPool:
    def test_a_company_is_kept_as_its_profile_answers(self) -> None:
        pool = Pool.of(DESK.companies, DESK.proposals)
        for company in DESK.companies:
            assert pool.stored(company.company_id) == company
        entry = pool.companies[pool.position[DESK.companies[0].company_id]]
        assert entry.name == DESK.companies[0].name_en and entry.version == 1

    def test_equal_tag_and_country_sets_are_one_object(self) -> None:
        first = DESK.companies[0]
        twin = first.model_copy(update={"company_id": "co_twin", "name_en": "Twin"})
        pool = Pool.of([first, twin], [])
        a, b = (pool.companies[pool.position[c.company_id]].vector for c in (first, twin))
        assert a.tags is b.tags and a.declared_countries is b.declared_countries
        assert a.languages is b.languages and a.areas is b.areas

    def test_scores_after_puts_equal_those_of_a_refresh(self) -> None:
        """Rows put after the matrix was stacked (spliced in) score as rows stacked anew."""
        pool = Pool.of(DESK.companies[:40], DESK.proposals)
        for company in DESK.companies[40:]:
            pool.put_company(company)
        pool.put_proposal(DESK.proposals[0].model_copy(update={"version": 2}))
        spliced_row = pool.row_scores(DESK.proposals[0].proposal_id).copy()
        weighted = [pool.weighted(company) for company in pool.companies]
        pool.columns = CompanyColumns.of(pool.space, weighted)
        pool.put_proposal(DESK.proposals[0].model_copy(update={"version": 3}))
        assert np.allclose(spliced_row, pool.row_scores(DESK.proposals[0].proposal_id))


def test_a_vector_names_a_reference_with_one_string_wherever_it_shows() -> None:
    reference = Reference("Da Nang drainage master plan", "VN", tags=("master_plan",))
    company = CompanyFeatures(
        "co", "Kaiyo", frozenset({"quality_environment"}), frozenset({"flood_control"}),
        "Drainage design.", references=(reference,),
    )  # fmt: skip
    vector = company_vector(company, CorpusStats.of([company]))
    [by_country] = vector.referenced_countries["VN"]
    by_stage = vector.stages["master_plan"][1]
    assert by_country == "reference 'Da Nang drainage master plan'"
    assert by_stage and all(named is by_country for named in by_stage)


class TestDerivedOnUse:
    """Evidence and term weights are not kept per company: they are derived from the
    profile and the counts when a match is explained or a row is built, as they were."""

    def test_kept_vectors_hold_no_evidence_and_no_weights(self) -> None:
        pool = Pool.of(DESK.companies, DESK.proposals)
        for company in pool.companies:
            vector = company.vector
            assert len(vector.terms) == 0
            shown = [*vector.referenced_countries.values(), *vector.history.values()]
            shown += [evidence for _, evidence in vector.stages.values()]
            shown += [evidence for _, evidence in vector.financing.values()]
            assert not any(shown)

    def test_explained_and_weighted_vectors_are_those_of_plain_scoring(self) -> None:
        pool = Pool.of(DESK.companies, DESK.proposals)
        stats, plain = vectors([company_features(profile) for profile in DESK.companies])
        assert pool.stats == stats
        for expected in plain:
            company = pool.companies[pool.position[expected.company_id]]
            explained = pool.explained(company)
            assert replace(explained, terms=dict(explained.terms)) == expected
            assert dict(pool.weighted(company).terms) == expected.terms

    def test_a_match_is_explained_with_its_evidence(self) -> None:
        pool = Pool.of(DESK.companies, DESK.proposals)
        changes = Changes(datetime.now(UTC), explained=pool.explained)
        proposal = next(iter(pool.proposals.values()))
        company = pool.companies[int(np.argmax(pool.row_scores(proposal.details.proposal_id)))]
        changes.place(proposal, company, 1, 0.0, {}, lambda _: [])
        [match] = changes.saves
        plain = explain(pool.explained(company), proposal.vector, pool.weights)
        assert (match.score, match.factors) == plain and match.factors

    def test_a_company_entering_many_lists_in_one_change_is_rebuilt_once(self) -> None:
        pool = Pool.of(DESK.companies, DESK.proposals)
        rebuilt: list[str] = []

        def explained(company: Company) -> CompanyVector:
            rebuilt.append(company.company_id)
            return pool.explained(company)

        changes = Changes(datetime.now(UTC), explained=explained)
        company = pool.companies[0]
        proposals = list(pool.proposals.values())[:3]
        for proposal in proposals:
            changes.place(proposal, company, 1, 0.0, {}, lambda _: [])
        assert rebuilt == [company.company_id]
        for proposal, match in zip(proposals, changes.saves, strict=True):
            plain = explain(pool.explained(company), proposal.vector, pool.weights)
            assert (match.score, match.factors) == plain
