"""``jamp bench masking`` in its smoke form: it runs, prints and writes its figures (how fast
anything is, it measures; a test never times it)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jamp import app as jamp
from jamp.perf.masking import SHAPES, SHORTER, Shape

pytestmark = pytest.mark.unit


def test_the_masking_benchmark_writes_one_figure_per_shape(tmp_path: Path) -> None:
    arguments = ["bench", "masking", "--quick", "--pairs", "1", "--results", str(tmp_path)]
    result = CliRunner().invoke(jamp, arguments)
    assert result.exit_code == 0, result.output
    [written] = tmp_path.glob("masking-*.json")
    document = json.loads(written.read_text())
    assert document["cores"] >= 1 and document["commit"]
    assert len(document["figures"]) == len(SHAPES)
    for figure, shape in zip(document["figures"], SHAPES, strict=True):
        assert figure["name"].startswith(shape.name) and f"{SHORTER} times" in figure["name"]
        assert len(figure["product"]) == len(figure["baseline"]) == 1
        assert figure["product_median"] > 0 and figure["baseline_median"] > 0


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.name)
def test_each_shape_grows_with_its_count(shape: Shape) -> None:
    assert len(shape.build(8_000)) > 7 * len(shape.build(1_000)) > 0
