"""The ``jamp bench`` commands of the delivery path: each runs on given servers or on an
embedded stack of its own, prints its table and writes its JSON under ``bench/results/``."""

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from jamp.perf import consume, desk, intake, latency, relay, traffic
from jamp.perf.pairs import Figure, write_results
from jamp.perf.servers import Servers, servers
from shared.logs import configure_logging

console = Console(highlight=False, width=160)
MongoOption = Annotated[str | None, typer.Option(help="Use this MongoDB, not an embedded one")]
KafkaOption = Annotated[str | None, typer.Option(help="Use this Kafka, not an embedded one")]
PairsOption = Annotated[int, typer.Option(min=1, help="Product/baseline pairs, alternating")]
ResultsOption = Annotated[Path, typer.Option(help="Folder of the JSON results")]
Quick = Annotated[bool, typer.Option(help="A few seconds in all: a smoke run, not a figure")]
AgedOption = Annotated[
    int, typer.Option(help="Retryable writes made first, as a desk that ran for a while left")
]
RanForOption = Annotated[
    float,
    typer.Option(
        min=0,
        help="Minutes the whole desk serves a steady mix first; then every benchmark runs on "
        "those servers (intake and desk on that desk's own databases)",
    ),
]

CompaniesOption = Annotated[
    int,
    typer.Option(
        min=0,
        help="desk: register this many companies (profiles of their own) through the API "
        "first; the idle RSS is then that of a desk of that many companies, and matching's "
        "after a restart on that database",
    ),
]
OtherTopicsOption = Annotated[
    int,
    typer.Option(
        min=0,
        help="relay: the broker holds this many other topics first, as a cluster shared with "
        "other systems does (each asked-for-everything metadata answer grows with them)",
    ),
]


@dataclass
class Outcome:
    name: str
    figures: list[Figure]
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    mongodb: str | None
    kafka: str | None
    pairs: int
    quick: bool
    aged_writes: int
    results: Path
    ran_for: float = 0.0
    companies: int = 0
    other_topics: int = 0


Bench = Callable[[Servers, Run, Path], Awaitable[Outcome]]


async def _intake(on: Servers, run: Run, logs: Path) -> Outcome:
    quick = run.quick
    kinds, concurrencies = (["companies"], [1]) if quick else (list(intake.KINDS), [1, 8, 32])
    seconds = 0.5 if quick else 3.0
    figures = await intake.run(on, kinds, concurrencies, seconds, run.pairs, logs)
    return Outcome("intake", figures, {"seconds_per_trial": seconds})


async def _relay(on: Servers, run: Run, logs: Path) -> Outcome:
    count = 200 if run.quick else 5000
    figures = await relay.run(on, count, run.pairs, run.other_topics)
    return Outcome("relay", figures, {"other_topics": run.other_topics})


async def _consume(on: Servers, run: Run, logs: Path) -> Outcome:
    return Outcome("consume", await consume.run(on, 100 if run.quick else 3000, run.pairs))


async def _latency(on: Servers, run: Run, logs: Path) -> Outcome:
    count, rate = (10, 20.0) if run.quick else (200, 20.0)
    figures = await latency.run(on, count, run.pairs, rate, logs)
    return Outcome("latency", figures, {"events_per_round": count, "rate_per_second": rate})


async def _desk(on: Servers, run: Run, logs: Path) -> Outcome:
    registrations, settle = (20, 3.0) if run.quick else (100, 15.0)
    figures, extra = await desk.run(on, registrations, run.pairs, settle, logs, run.companies)
    return Outcome("desk", figures, {"registrations_per_round": registrations, **extra})


BENCHES: dict[str, Bench] = {
    "intake": _intake,
    "relay": _relay,
    "consume": _consume,
    "latency": _latency,
    "desk": _desk,
}


def run_benches(names: list[str], run: Run) -> list[Outcome]:
    configure_logging("WARNING", json=False)
    return asyncio.run(_run(names, run))


async def _run(names: list[str], run: Run) -> list[Outcome]:
    with tempfile.TemporaryDirectory(prefix="jamp-bench-logs-") as logs:
        if not run.ran_for:
            # Fresh servers for each benchmark (aged first when asked).
            outcomes = []
            for name in names:
                async with servers(run.mongodb, run.kafka, run.aged_writes) as on:
                    outcomes.append(await _measure(name, on, run, Path(logs)))
            return outcomes
        # One set of servers, on which a desk ran first: ageing it once per benchmark
        # would take ``ran_for`` minutes each.
        names = after_the_desk_ran(names)
        async with servers(run.mongodb, run.kafka, run.aged_writes) as fresh:
            on, served = await traffic.ran_for(fresh, run.ran_for, Path(logs))
            ran: dict[str, object] = {
                "desk_ran": {"accepted": served.accepted, "failed": served.failed}
            }
            return [await _measure(name, on, run, Path(logs), ran) for name in names]


def after_the_desk_ran(names: list[str]) -> list[str]:
    """The order benchmarks run in on the servers a desk ran on: the whole desk first, as
    it was left; after intake its consumers would have intake's thousands of submissions
    to digest, and the desk's figures would measure that."""
    return sorted(names, key=lambda name: name != "desk")


async def _measure(
    name: str, on: Servers, run: Run, logs: Path, ran: dict[str, object] | None = None
) -> Outcome:
    outcome = await BENCHES[name](on, run, logs)
    label = outcome.name + (f"-aged{run.aged_writes}" if run.aged_writes else "")
    label += f"-ran{run.ran_for:g}min" if run.ran_for else ""
    label += f"-{run.companies}companies" if run.companies and name == "desk" else ""
    label += f"-{run.other_topics}othertopics" if run.other_topics and name == "relay" else ""
    about = {"quick": run.quick, "pairs": run.pairs, "aged_writes": run.aged_writes,
             "ran_for_minutes": run.ran_for, **(ran or {})}  # fmt: skip
    path = write_results(run.results, label, outcome.figures, {**about, **outcome.extra})
    console.print(figure_table(outcome.name, outcome.figures))
    if outcome.name == "desk":
        console.print(_desk_table([outcome]))
    console.print(f"[dim]{path}[/]")
    return outcome


def figure_table(title: str, figures: list[Figure]) -> Table:
    table = Table("figure", "unit", "product", "baseline", "ratio", "pairs", title=title)
    for figure in figures:
        table.add_row(figure.name, figure.unit, f"{figure.product_median:,.1f}",
                      f"{figure.baseline_median:,.1f}", f"{figure.ratio:.2f}",
                      str(len(figure.product)))  # fmt: skip
    return table


def register(bench_app: typer.Typer) -> None:
    """Add one command per benchmark, and ``all``, to ``jamp bench``."""
    for name in BENCHES:
        bench_app.command(name, help=_HELP[name])(_command([name]))
    bench_app.command("all", help="Every benchmark above, then one summary table")(
        _command(list(BENCHES), summary=True)
    )


_HELP = {
    "intake": "POST company/proposal/inquiry at c = 1, 8, 32 vs a bare aiohttp transaction",
    "relay": "Outbox relay events/s vs a raw aiokafka producer of the same records",
    "consume": "Consumer runner events/s (1 and 2 instances) vs a bare aiokafka consumer",
    "latency": "Accepted → read model p50/p99 vs bare produce → consume → insert",
    "desk": "Whole desk: idle writes/s, idle RSS per service, CPU ms per registration",
}


def _command(names: list[str], summary: bool = False) -> Callable[..., None]:
    def command(
        mongodb_uri: MongoOption = None,
        kafka: KafkaOption = None,
        pairs: PairsOption = 3,
        quick: Quick = False,
        aged_writes: AgedOption = 0,
        ran_for: RanForOption = 0.0,
        companies: CompaniesOption = 0,
        other_topics: OtherTopicsOption = 0,
        results: ResultsOption = Path("bench/results"),
    ) -> None:
        run = Run(
            mongodb_uri, kafka, pairs, quick, aged_writes, results, ran_for, companies, other_topics
        )
        outcomes = run_benches(names, run)
        if summary:
            figures = [figure for outcome in outcomes for figure in outcome.figures]
            console.print(figure_table("jamp bench all", figures))
            console.print(_desk_table(outcomes))

    return command


def _desk_table(outcomes: list[Outcome]) -> Table:
    table = Table("service", "idle RSS MB", "peak RSS MB", "idle CPU % of a core",
                  "CPU ms per registration", title="the desk")  # fmt: skip
    for outcome in outcomes:
        if outcome.name != "desk":
            continue
        extra = outcome.extra
        rss, peak = extra.get("idle_rss_mb", {}), extra.get("peak_rss_mb", {})
        cpu = extra.get("cpu_ms_per_registration", {})
        idle_cpu = extra.get("idle_cpu_cores", {})
        assert isinstance(rss, dict) and isinstance(peak, dict) and isinstance(cpu, dict)
        assert isinstance(idle_cpu, dict)
        if extra.get("companies"):
            table.title = f"the desk at {extra['companies']:,} companies"
        for name in sorted(set(rss) | set(cpu)):
            spent = cpu.get(name, [])
            ms = sorted(spent)[len(spent) // 2] if spent else float("nan")
            table.add_row(name, f"{rss.get(name, float('nan')):.0f}",
                          f"{peak.get(name, float('nan')):.0f}",
                          f"{idle_cpu.get(name, float('nan')) * 100:.1f}", f"{ms:.1f}")  # fmt: skip
        again = extra.get("restarted")
        if isinstance(again, dict):
            table.add_row(f"{again['service']} after a restart", f"{again['rss_mb']:.0f}",
                          f"{again['peak_rss_mb']:.0f}", "", "")  # fmt: skip
        table.add_row("idle writes/s", f"{extra.get('idle_writes_per_second')}", "", "", "")
    return table
