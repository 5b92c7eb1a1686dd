"""``jamp chaos``: every fault of the desk under load, N rounds each, reconciled."""

import asyncio
import json
import logging
import signal
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from jamp.chaos.faults import FAULTS
from jamp.chaos.rounds import RoundResult, RunningDesk, fresh_desk, run_round

console = Console(highlight=False, width=160)
RESULTS = Path("bench/results")
STATE = Path(".jamp/chaos")
COLUMNS = ("accepted", "lost", "duplicated", "wrong_answers", "extra_dead_letters",
           "outbox_pending")  # fmt: skip


class Fresh(StrEnum):
    """Which rounds get new servers: each round, each fault (its rounds follow one another
    on one desk), or none (every round on one desk: the short CI form)."""

    ROUND = "round"
    FAULT = "fault"
    ONE = "one"


def chaos(
    rounds: Annotated[int, typer.Option(help="Rounds of each fault")] = 3,
    requests: Annotated[int, typer.Option(help="Registrations per round")] = 500,
    concurrency: Annotated[int, typer.Option(help="Clients at once")] = 8,
    fault: Annotated[list[str] | None, typer.Option(help="Only these faults")] = None,
    output: Annotated[Path, typer.Option(help="Folder of the JSON results")] = RESULTS,
    state_dir: Annotated[Path, typer.Option(help="Each desk's logs")] = STATE,
    desk: Annotated[
        Fresh, typer.Option(help="Fresh servers for every round, every fault, or one desk")
    ] = Fresh.ROUND,
) -> None:
    """Each fault halfway through a load of registrations, on fresh embedded servers;
    then what clients were told is reconciled with every store. Exit 1 unless nothing
    was lost, duplicated or answered wrongly."""
    chosen = fault or list(FAULTS)
    unknown = sorted(set(chosen) - set(FAULTS))
    if unknown:
        raise typer.BadParameter(f"unknown faults {unknown}; known: {sorted(FAULTS)}")
    # The faults make the clients' own connections fail on purpose; the table says the rest.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    plan = Plan(chosen, rounds, requests, concurrency, desk, state_dir)
    results = asyncio.run(_run(plan))
    console.print(_table(results))
    path = _write(results, output, plan)
    console.print(f"[dim]written to {path}[/]")
    bad = [r for r in results if r.reconciliation.lost or r.reconciliation.duplicated
           or r.reconciliation.wrong_answers or r.reconciliation.extra_dead_letters
           or r.reconciliation.outbox_pending]  # fmt: skip
    raise typer.Exit(1 if bad else 0)


@dataclass(frozen=True)
class Plan:
    faults: list[str]
    rounds: int
    requests: int
    concurrency: int
    desk: Fresh
    state_dir: Path


async def _run(plan: Plan) -> list[RoundResult]:
    # SIGTERM cancels like Ctrl-C does, so that the running desk's servers are stopped.
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    results: list[RoundResult] = []
    numbers = range(1, plan.rounds + 1)
    groups = {
        Fresh.ROUND: [[(name, n)] for name in plan.faults for n in numbers],
        Fresh.FAULT: [[(name, n) for n in numbers] for name in plan.faults],
        Fresh.ONE: [[(name, n) for name in plan.faults for n in numbers]],
    }[plan.desk]
    for group in groups:  # each group on fresh servers, its rounds one after another
        async with fresh_desk(plan.state_dir) as running:
            for name, number in group:
                results.append(await _round(running, plan, name, number))
    return results


async def _round(running: RunningDesk, plan: Plan, name: str, number: int) -> RoundResult:
    result = await run_round(running, name, FAULTS[name], number, plan.requests, plan.concurrency)
    console.print(f"[dim]{name} round {number}: {result.row()}[/]")
    return result


def _table(results: list[RoundResult]) -> Table:
    table = Table("fault", "rounds", *COLUMNS, "recovery s (max)")
    by_fault: dict[str, list[RoundResult]] = {}
    for result in results:
        by_fault.setdefault(result.fault, []).append(result)
    for name, rows in by_fault.items():
        sums = [sum(getattr(r.reconciliation, column) for r in rows) for column in COLUMNS]
        times = [r.recovery_seconds for r in rows]
        slowest = "never" if None in times else f"{max(t for t in times if t is not None):.1f}"
        table.add_row(name, str(len(rows)), *map(str, sums), slowest)
    return table


def _write(results: list[RoundResult], folder: Path, plan: Plan) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"chaos-{stamp}.json"
    document = {"requests": plan.requests, "concurrency": plan.concurrency,
                "desk": plan.desk.value, "state_dir": str(plan.state_dir),
                "rounds": [result.row() for result in results]}  # fmt: skip
    path.write_text(json.dumps(document, indent=2))
    return path
