"""``jamp chaos``: every fault of the desk under load, N rounds each, reconciled."""

import asyncio
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shared.chaos.faults import FAULTS
from shared.chaos.rounds import RoundResult, run_round

console = Console(highlight=False, width=160)
RESULTS = Path("bench/results")
COLUMNS = ("accepted", "lost", "duplicated", "wrong_answers", "extra_dead_letters",
           "outbox_pending")  # fmt: skip


def chaos(
    rounds: Annotated[int, typer.Option(help="Rounds of each fault")] = 3,
    requests: Annotated[int, typer.Option(help="Registrations per round")] = 500,
    concurrency: Annotated[int, typer.Option(help="Clients at once")] = 8,
    fault: Annotated[list[str] | None, typer.Option(help="Only these faults")] = None,
    output: Annotated[Path, typer.Option(help="Folder of the JSON results")] = RESULTS,
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
    results = asyncio.run(_run(chosen, rounds, requests, concurrency))
    console.print(_table(results))
    path = _write(results, output, requests, concurrency)
    console.print(f"[dim]written to {path}[/]")
    bad = [r for r in results if r.reconciliation.lost or r.reconciliation.duplicated
           or r.reconciliation.wrong_answers or r.reconciliation.extra_dead_letters]  # fmt: skip
    raise typer.Exit(1 if bad else 0)


async def _run(
    faults: list[str], rounds: int, requests: int, concurrency: int
) -> list[RoundResult]:
    results = []
    for name in faults:
        for number in range(1, rounds + 1):
            result = await run_round(name, FAULTS[name], number, requests, concurrency)
            console.print(f"[dim]{name} round {number}: {result.row()}[/]")
            results.append(result)
    return results


def _table(results: list[RoundResult]) -> Table:
    table = Table("fault", "rounds", *COLUMNS, "recovery s (max)")
    by_fault: dict[str, list[RoundResult]] = {}
    for result in results:
        by_fault.setdefault(result.fault, []).append(result)
    for name, rows in by_fault.items():
        sums = [sum(getattr(r.reconciliation, column) for r in rows) for column in COLUMNS]
        recovery = max(r.recovery_seconds for r in rows)
        table.add_row(name, str(len(rows)), *map(str, sums), f"{recovery:.1f}")
    return table


def _write(results: list[RoundResult], folder: Path, requests: int, concurrency: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"chaos-{stamp}.json"
    document = {"requests": requests, "concurrency": concurrency,
                "rounds": [result.row() for result in results]}  # fmt: skip
    path.write_text(json.dumps(document, indent=2))
    return path
