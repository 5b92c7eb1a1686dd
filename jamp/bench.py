"""``jamp bench``: the matching benchmarks (quality on public history, speed at scale) and
the delivery path's (intake, relay, consume, latency, the desk; see ``jamp.perf``)."""

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from jamp import perf
from jamp.matching import figures, read_studies, summary, weights_table
from jamp.perf import masking
from jamp.perf.commands import figure_table
from jamp.perf.pairs import write_results
from services.matching.bench import live, scale, track
from services.matching.bench import quality as benchmark
from services.matching.scoring.features import CompanyFeatures
from services.matching.scoring.history import FISCAL_YEAR, Study
from services.matching.scoring.weights import Weights

bench_app = typer.Typer(
    help="Benchmarks: ratios against a baseline run alongside", no_args_is_help=True
)
console = Console(highlight=False, width=160)
RESULTS = Path("bench/results")
perf.register(bench_app)


@bench_app.command("matching")
def bench_matching(
    companies: Annotated[Path, typer.Option(help="Company pool CSV")] = benchmark.DATA
    / "companies_public.csv",
    projects: Annotated[Path, typer.Option(help="Projects with their real implementers CSV")] = (
        benchmark.DATA / "smartjamp_public.csv"
    ),
    history: Annotated[
        Path | None, typer.Option(help="Earlier studies: the track record the weights learn from")
    ] = None,
    weights: Annotated[
        Path | None, typer.Option(help="A weights file to use instead of fitting on --history")
    ] = None,
    unseen_from: Annotated[
        str | None,
        typer.Option(
            help="Cut both files at this fiscal year (e.g. FY2021): earlier studies are the "
            "history, the rest the projects"
        ),
    ] = None,
    results: Annotated[Path, typer.Option(help="Folder of the JSON results")] = RESULTS,
) -> None:
    """Rank every company for every project; where did the real implementers land?"""
    pool = benchmark.load_companies(companies)
    if history is not None:
        _bench_history(pool, Files(history, projects, unseen_from), weights, results)
        return
    studies = benchmark.load_projects(projects)
    outcome = benchmark.run(pool, studies)
    console.print(f"{len(pool)} companies, {len(studies)} projects")
    console.print(_per_project(studies, outcome))
    console.print(_summary(outcome))


@dataclass(frozen=True)
class Files:
    """The studies the history benchmark reads, and where (if anywhere) it cuts them."""

    history: Path
    projects: Path
    unseen_from: str | None

    def studies(self) -> tuple[list[Study], list[Study]]:
        past, future = read_studies(self.history), read_studies(self.projects)
        if self.unseen_from is None:
            return past, future
        if not FISCAL_YEAR.fullmatch(self.unseen_from):
            console.print(f"[red]--unseen-from: '{self.unseen_from}' is not like FY2021[/red]")
            raise typer.Exit(1)
        return track.split_by_year(past, future, self.unseen_from)

    def about(self) -> dict[str, str | None]:
        names = {"history": self.history.name, "projects": self.projects.name}
        return {**names, "unseen_from": self.unseen_from}


def _bench_history(
    pool: list[CompanyFeatures], files: Files, weights_file: Path | None, results: Path
) -> None:
    """History as track record, weights fitted on it (or loaded), the projects ranked."""
    try:
        past, future = files.studies()
        if weights_file is not None:
            weights = Weights.read(weights_file)
        else:
            about = {**files.about(), "studies": len(past)}
            weights = track.fit_weights(pool, past, about)
        measured = track.benchmark(pool, past, future, weights)
    except ValueError as error:  # a bad weights file, or projects that are also history
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    console.print(f"{len(pool)} companies, {len(past)} past studies, {len(future)} projects")
    console.print(_per_project(measured.projects, measured.results))
    console.print(summary(measured))
    ablation = Table("without", "MRR", "change")
    scored = measured.results[0].mrr
    for name, mrr in measured.ablation.items():
        ablation.add_row(name, f"{mrr:.3f}", f"{mrr - scored:+.3f}")
    console.print(ablation)
    console.print(weights_table(weights.values))
    written = _write_quality(results, files, weights, measured)
    console.print(f"results written to {written}")


def _write_quality(results: Path, files: Files, weights: Weights, measured: track.Measured) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = results / f"matching-quality-{stamp}.json"
    document = {
        **files.about(),
        "weights": {
            "version": weights.version,
            "values": dict(weights.values),
            "l2": weights.about.get("l2"),
        },
        "figures": figures(measured),
        "ablation_mrr": measured.ablation,
        "ranks": {
            project.features.proposal_id: {
                "implementers": project.implementers,
                **{r.method: r.ranks[index] for r in measured.results},
            }
            for index, project in enumerate(measured.projects)
        },
    }
    results.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def _per_project(
    projects: Sequence[benchmark.Project], results: Sequence[benchmark.Result]
) -> Table:
    table = Table("project", "implementers", *(f"rank ({r.method})" for r in results))
    for index, project in enumerate(projects):
        ranks = [", ".join(f"{rank:.3g}" for rank in r.ranks[index]) or "-" for r in results]
        table.add_row(project.features.proposal_id, ", ".join(project.implementers), *ranks)
    return table


def _summary(results: list[benchmark.Result]) -> Table:
    cutoffs = benchmark.CUTOFFS
    table = Table("method", "MRR", *(f"recall@{k}" for k in cutoffs))
    for result in results:
        table.add_row(
            result.method, f"{result.mrr:.3f}", *(f"{result.recall[k]:.3f}" for k in cutoffs)
        )
    return table


@bench_app.command("matching-scale")
def bench_matching_scale(
    companies: Annotated[int, typer.Option(help="Generated companies")] = 10_000,
    proposals: Annotated[int, typer.Option(help="Generated proposals")] = 1_000,
    naive_pairs: Annotated[int, typer.Option(help="Pairs the naive loop times")] = 100_000,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """Full rescore and one company's update, vectorised, next to a naive pairwise loop."""
    report = scale.run(companies, proposals, naive_pairs, seed)
    table = Table("measure", "seconds", "note")
    for measure in report:
        table.add_row(measure.name, f"{measure.seconds:.4f}", measure.note)
    console.print(table)


@bench_app.command("masking")
def bench_masking(
    pairs: Annotated[int, typer.Option(help="Alternating long/short pairs")] = 5,
    quick: Annotated[bool, typer.Option(help="Texts a tenth as long (a smoke run)")] = False,
    results: Annotated[Path, typer.Option(help="Folder of the JSON results")] = RESULTS,
) -> None:
    """Masking a long text next to the same masking on an eighth of it: does its cost grow
    with the length only?"""
    count = 7_000 if quick else 70_000
    figures = asyncio.run(masking.run(pairs, count))
    console.print(figure_table("jamp bench masking", figures))
    written = write_results(results, "masking", figures, {"units": count})
    console.print(f"results written to {written}")


@bench_app.command("matching-live")
def bench_matching_live(
    companies: Annotated[int, typer.Option(help="Companies registered as events")] = 10_000,
    proposals: Annotated[int, typer.Option(help="Proposals submitted as events")] = 1_000,
    burst: Annotated[int, typer.Option(help="Updates published at once (events/s)")] = 2_000,
    paced: Annotated[int, typer.Option(help="Updates published one by one (latency)")] = 300,
    seed: Annotated[int, typer.Option()] = 7,
    workdir: Annotated[Path, typer.Option(help="Servers' state and the service log")] = Path(
        ".jamp/bench"
    ),
) -> None:
    """The running matching service driven through Kafka, next to the in-process figures."""
    options = live.LiveOptions(companies, proposals, burst, paced, seed, workdir)
    report = asyncio.run(
        live.LiveBench(options, lambda line: console.print(f"[dim]{line}[/]")).run()
    )
    table = Table("measure", "live service", "target")
    table.add_row("company events/s sustained", f"{report.update_events_per_second:.0f}", ">= 200")
    table.add_row("registration + submission events/s", f"{report.load_events_per_second:.0f}", "")
    for name, p50, p99 in (
        ("to committed offset", report.latency_commit_p50, report.latency_commit_p99),
        ("to first match event", report.latency_event_p50, report.latency_event_p99),
    ):
        table.add_row(
            f"update latency {name} p50 / p99",
            f"{p50 * 1000:.1f} / {p99 * 1000:.1f} ms",
            "p99 <= 50 ms" if "commit" in name else "",
        )
    table.add_row(
        "one update alone: its transaction, start to commit, p50 / p99",
        f"<= {report.handled_p50 * 1000:.0f} / <= {report.handled_p99 * 1000:.0f} ms",
        "p99 <= 50 ms",
    )
    table.add_row(
        "updates per transaction in the burst", f"{report.events_per_transaction:.1f}", ""
    )
    table.add_row("index build at start", f"{report.index_build_seconds:.2f} s", "")
    table.add_row(
        "full rebuild (index + every list)", f"{report.full_rebuild_seconds:.2f} s", "<= 15 s"
    )
    table.add_row("matching RSS (max)", f"{report.rss_mb_max:.0f} MB", "<= 600 MB")
    console.print(table)
    in_process = Table("in-process (matching-scale, same data)", "seconds")
    for name, seconds in report.in_process.items():
        in_process.add_row(name, f"{seconds:.4f}")
    console.print(in_process)
    ratios = Table("ratio", "x")
    for name, ratio in report.ratios.items():
        ratios.add_row(name, f"{ratio:.1f}")
    console.print(ratios)
    for error in report.errors:
        console.print(f"[red]{error}[/]")
    console.print(f"written to {live.save(report)}")
