"""A short smoke run of every ``jamp bench`` command of the delivery path (never a timed
test: it checks that each runs and writes its results, not how fast anything is)."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from jamp import app as jamp
from shared.embedded import EmbeddedStack
from tests.support import topic_names


def _smoke(stack: EmbeddedStack, results: Path, bench: str, *more: str) -> dict[str, Any]:
    """``jamp bench <bench> --quick --pairs 1 <more>`` on the session's servers: the JSON
    it wrote (the only one)."""
    arguments = ["bench", bench, "--quick", "--pairs", "1", "--results", str(results), *more,
                 "--mongodb-uri", stack.mongodb_uri, "--kafka", stack.kafka_bootstrap]  # fmt: skip
    result = CliRunner().invoke(jamp, arguments)  # runs its own event loop
    assert result.exit_code == 0, result.output
    [written] = results.glob(f"{bench}-*.json")
    document: dict[str, Any] = json.loads(written.read_text())
    return document


@pytest.mark.parametrize("bench", ["intake", "relay", "consume", "latency", "desk"])
def test_each_benchmark_runs_and_writes_its_results(
    bench: str, stack: EmbeddedStack, tmp_path: Path
) -> None:
    document = _smoke(stack, tmp_path, bench)
    assert document["cores"] >= 1 and document["commit"]
    for figure in document["figures"]:
        assert len(figure["product"]) == len(figure["baseline"]) == 1
        assert figure["product_median"] > 0 and figure["baseline_median"] > 0
    if bench == "desk":  # idle figures are taken once its start-up work is done
        assert document["settled_after_seconds"] >= 3


def test_benchmarks_run_on_a_desk_that_served_a_steady_mix_first(
    stack: EmbeddedStack, tmp_path: Path
) -> None:
    document = _smoke(stack, tmp_path, "intake", "--ran-for", "0.1")
    assert document["benchmark"] == "intake-ran0.1min" and document["ran_for_minutes"] == 0.1
    served = document["desk_ran"]
    assert set(served["accepted"]) == {"companies", "proposals", "inquiries"}
    assert not served["failed"]


def test_the_desk_benchmark_measures_idle_memory_at_a_number_of_companies(
    stack: EmbeddedStack, tmp_path: Path
) -> None:
    document = _smoke(stack, tmp_path, "desk", "--companies", "25")
    assert document["benchmark"] == "desk-25companies"
    assert document["companies"] == document["registrations_accepted"] == 25
    assert not document["registrations_failed"]
    assert set(document["idle_rss_mb"]) == set(document["peak_rss_mb"]) >= {"matching"}
    restarted = document["restarted"]
    assert restarted["service"] == "matching"
    assert 0 < restarted["rss_mb"] <= restarted["peak_rss_mb"]


def test_the_relay_benchmark_runs_beside_other_topics_and_deletes_them_after(
    stack: EmbeddedStack, tmp_path: Path
) -> None:
    document = _smoke(stack, tmp_path, "relay", "--other-topics", "30")
    assert document["benchmark"] == "relay-30othertopics" and document["other_topics"] == 30
    assert "the broker holds 30 other topics" in document["figures"][0]["note"]
    left = asyncio.run(topic_names(stack.kafka_bootstrap))
    assert not [name for name in left if ".other-" in name]
