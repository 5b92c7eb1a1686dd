"""``jamp matching``: operations on the matching service."""

import asyncio
import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from jamp.dev import desk_settings
from services.matching.bench import quality
from services.matching.bench.track import Measured, cross_validate, fit_weights
from services.matching.history.handlers import import_history
from services.matching.index.rebuild import rebuild
from services.matching.scoring.features import CompanyFeatures
from services.matching.scoring.history import HistoryInvalid, Study, parse_studies
from services.matching.settings import MatchingSettings

matching_app = typer.Typer(help="The matching service", no_args_is_help=True)
history_app = typer.Typer(help="The track record: past studies and their implementers")
matching_app.add_typer(history_app, name="history")
console = Console(highlight=False, width=160)
COMPANIES = quality.DATA / "companies_public.csv"


def _settings() -> MatchingSettings:
    return desk_settings(MatchingSettings)


@matching_app.command("rebuild")
def rebuild_read_models() -> None:
    """Re-read the companies and proposals topics from the start into fresh read models,
    then choose every open proposal's list again."""
    done = asyncio.run(rebuild(_settings()))
    console.print(f"{done.events} events projected, {done.proposals_rescored} proposals rescored")


def read_studies(path: Path) -> list[Study]:
    """A studies file, or exit 1 naming each bad row's line and field (nothing is used)."""
    try:
        return parse_studies(read_csv_text(path))
    except HistoryInvalid as invalid:
        for problem in invalid.problems:
            console.print(f"[red]{path}: {problem}[/red]")
        raise typer.Exit(1) from invalid
    except csv.Error as error:  # a field past the csv module's limit, a stray NUL
        console.print(f"[red]{path}: not a CSV file this reads: {error}[/red]")
        raise typer.Exit(1) from error


def read_csv_text(path: Path) -> str:
    """A CSV file's text, or exit 1 saying why not: UTF-8 (a spreadsheet's byte order mark
    is allowed), readable."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        console.print(f"[red]{path}: not UTF-8 text (byte {error.start}); save it as UTF-8[/red]")
        raise typer.Exit(1) from error
    except OSError as error:
        console.print(f"[red]{path}: {error.strerror or error}[/red]")
        raise typer.Exit(1) from error


@history_app.command("import")
def import_studies(
    file: Annotated[Path, typer.Argument(help="Studies CSV shaped like smartjamp_public.csv")],
    by: Annotated[str, typer.Option(help="Who imports it (recorded on every study)")] = (
        "matching:history-import"
    ),
) -> None:
    """Load past studies as their implementers' track record, then rescore every list."""
    read_studies(file)  # every row checked before the database is touched
    done = asyncio.run(import_history(_settings(), read_csv_text(file), by))
    console.print(
        f"{done.studies} studies of {done.companies} companies imported, "
        f"{done.proposals_rescored} proposals rescored"
    )


@matching_app.command("fit")
def fit(
    history: Annotated[Path, typer.Option(help="Studies with their implementers (CSV)")],
    companies: Annotated[Path, typer.Option(help="Company pool CSV")] = COMPANIES,
    out: Annotated[Path, typer.Option(help="Folder the weights file is written to")] = Path(
        ".jamp/weights"
    ),
) -> None:
    """Learn the factor weights from history; print their leave-one-project-out figures
    next to the hand-set weights and the tag-only baseline; write a versioned weights file
    (point JAMP_MATCHING_WEIGHTS_FILE at it)."""
    if out.exists() and not out.is_dir():  # found before the fit, not after it ran
        raise typer.BadParameter(f"{out} is a file, not a folder", param_hint="--out")
    pool, studies = _company_pool(companies), read_studies(history)
    try:
        measured = cross_validate(pool, studies)
    except ValueError as error:  # nothing to learn from: no project with a known implementer
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    console.print(f"{len(pool)} companies, {len(studies)} studies, leave-one-project-out")
    console.print(summary(measured, (1, 3)))
    about = {
        "history": history.name,
        "studies": len(studies),
        "companies": len(pool),
        "cross_validated": figures(measured),
    }
    weights = fit_weights(pool, studies, about)
    path = out / f"{weights.version}.json"
    weights.write(path)
    console.print(weights_table(weights.values))
    console.print(f"weights {weights.version} written to {path}")


def _company_pool(path: Path) -> list[CompanyFeatures]:
    """The companies file, or exit 1 saying why not (missing, not UTF-8, a column missing)."""
    try:
        return quality.load_companies(path)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        console.print(f"[red]{path}: {error}[/red]")
        raise typer.Exit(1) from error
    except KeyError as missing:
        console.print(f"[red]{path}: column {missing} missing[/red]")
        raise typer.Exit(1) from missing


def summary(measured: Measured, cutoffs: tuple[int, ...] = quality.CUTOFFS) -> Table:
    table = Table("method", "MRR", *(f"recall@{k}" for k in cutoffs))
    for result in measured.results:
        recall = (f"{result.recall[k]:.3f}" for k in cutoffs)
        table.add_row(result.method, f"{result.mrr:.3f}", *recall)
    return table


def figures(measured: Measured) -> dict[str, dict[str, float]]:
    return {
        result.method: {"mrr": result.mrr, **{f"recall@{k}": v for k, v in result.recall.items()}}
        for result in measured.results
    }


def weights_table(values: Mapping[str, float]) -> Table:
    table = Table("factor", "weight")
    for name, weight in values.items():
        table.add_row(name, f"{weight:.3f}")
    return table
