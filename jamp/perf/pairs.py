"""Alternating product/baseline pairs, their medians and ratios, and the results file."""

import json
import os
import statistics
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

Trial = Callable[[], Awaitable[float]]


@dataclass
class Figure:
    """One measured figure: a value per pair for the product and for its baseline."""

    name: str
    unit: str
    product: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    higher_is_better: bool = True
    note: str = ""

    @property
    def product_median(self) -> float:
        return statistics.median(self.product) if self.product else float("nan")

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline) if self.baseline else float("nan")

    @property
    def ratio(self) -> float:
        """Product over baseline for rates; baseline over product for costs and times, so
        1.0 always means "as good as the baseline" and less means worse."""
        product, baseline = self.product_median, self.baseline_median
        if not product or not baseline:
            return float("nan")
        return product / baseline if self.higher_is_better else baseline / product

    def summary(self) -> dict[str, object]:
        return {
            **asdict(self),
            "product_median": self.product_median,
            "baseline_median": self.baseline_median,
            "ratio": self.ratio,
        }


async def alternate(figure: Figure, product: Trial, baseline: Trial, pairs: int) -> Figure:
    """Run product then baseline, ``pairs`` times, so drift of the machine hits both."""
    for _ in range(pairs):
        figure.product.append(await product())
        figure.baseline.append(await baseline())
    return figure


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (p50 = median of an odd count)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def git_commit() -> str:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return found.stdout.strip()


def write_results(folder: Path, name: str, figures: list[Figure], extra: dict[str, object]) -> Path:
    """<folder>/<name>-<UTC time>.json with the machine's cores and the git commit."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    path = folder / f"{name}-{now:%Y%m%dT%H%M%SZ}.json"
    document = {
        "benchmark": name,
        "at": now.isoformat(),
        "cores": os.cpu_count(),
        "commit": git_commit(),
        "figures": [figure.summary() for figure in figures],
        **extra,
    }
    path.write_text(json.dumps(document, indent=2, default=str))
    return path
