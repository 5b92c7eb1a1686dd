"""The benchmark's loaders and figures, on the public files shipped with the service."""

import pytest

from services.matching.bench import quality as benchmark


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
