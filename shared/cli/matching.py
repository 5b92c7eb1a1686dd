"""``jamp matching``: operations on the matching service."""

import asyncio
from pathlib import Path

import typer
from rich.console import Console

from services.matching.index.rebuild import rebuild
from services.matching.settings import MatchingSettings
from shared.cli.dev import DEV_ENV_FILE

matching_app = typer.Typer(help="The matching service", no_args_is_help=True)
console = Console(highlight=False)


@matching_app.command("rebuild")
def rebuild_read_models() -> None:
    """Re-read the companies and proposals topics from the start into fresh read models,
    then choose every open proposal's list again."""
    env_file = Path(DEV_ENV_FILE)
    settings = MatchingSettings(_env_file=env_file if env_file.exists() else None)
    done = asyncio.run(rebuild(settings))
    console.print(f"{done.events} events projected, {done.proposals_rescored} proposals rescored")
