"""The benchmark's loaders and figures, on the public files shipped with the service."""

import pytest

from services.matching.bench import quality as benchmark
from services.matching.scoring.features import CompanyFeatures, ProposalFeatures


def test_the_public_files_load_and_every_method_is_measured() -> None:
    companies = benchmark.load_companies(benchmark.DATA / "companies_public.csv")
    projects = benchmark.load_projects(benchmark.DATA / "smartjamp_public.csv")
    results = {result.method: result for result in benchmark.run(companies, projects)}
    assert set(results) == {"scoring", "tags-only", "random"}
    for result in results.values():
        assert 0 < result.mrr <= 1
        assert result.recall[1] <= result.recall[3] <= result.recall[5]
    assert results["scoring"].mrr > results["random"].mrr


def test_figures_follow_their_definitions() -> None:
    result = benchmark.Result.of("x", [[1.0, 4.0], [2.0]])
    assert result.mrr == pytest.approx((1 + 0.5) / 2)
    assert result.recall[1] == pytest.approx((0.5 + 0) / 2)
    assert result.recall[5] == 1.0


def _company(company_id: str, tags: set[str]) -> CompanyFeatures:
    return CompanyFeatures(company_id, company_id, frozenset(), frozenset(tags), "")


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_tie_with_the_implementer_counts_as_every_order_of_it_not_one_lucky_draw(
    seed: int,
) -> None:
    # Tags-only ties the implementer with one other company: whatever the seed, it has
    # placed it first half of the time, not always or never.
    pool = [_company("done-it", {"flood_control"}), _company("also", {"flood_control"})]
    pool += [_company(f"other-{n}", {"tourism"}) for n in range(3)]
    need = ProposalFeatures(
        "p",
        "city",
        "VN",
        "Flood control",
        "",
        frozenset(),
        frozenset({"flood_control"}),
        "feasibility_study",
    )
    results = {
        r.method: r for r in benchmark.run(pool, [benchmark.Project(need, ["done-it"])], seed)
    }
    assert results["tags-only"].mrr == pytest.approx(0.75, abs=0.03)
    assert results["tags-only"].ranks[0][0] == pytest.approx(1.5, abs=0.05)
    assert results["tags-only"].recall[1] == pytest.approx(0.5, abs=0.05)
