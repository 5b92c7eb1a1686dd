"""``jamp monitor tail|lag|dlq``: the operator console's JSON API as rich tables."""

import asyncio
import time
from typing import Annotated, Any

import aiohttp
import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="The operator console from a terminal", no_args_is_help=True)
Url = Annotated[str, typer.Option(envvar="JAMP_MONITOR_URL", help="The monitor's base URL")]
Key = Annotated[
    str, typer.Option(envvar="JAMP_API_KEY", help="Operator or admin key (env, not argv)")
]
DEFAULT_URL = "http://127.0.0.1:8105"


def _console() -> Console:
    # Made per command, so the terminal's width (COLUMNS) is read when it runs.
    return Console(highlight=False)


async def _call(url: str, key: str, method: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        aiohttp.ClientSession(base_url=url, headers=headers) as session,
        session.request(method, path, json=body) as response,
    ):
        payload = await response.json() if response.status != 204 else None
        if response.status >= 400:
            detail = payload.get("detail") if isinstance(payload, dict) else payload
            raise typer.BadParameter(f"{response.status}: {detail}")
        return payload


def call(url: str, key: str, method: str, path: str, body: Any = None) -> Any:
    return asyncio.run(_call(url, key, method, path, body))


@app.command("tail")
def tail(
    url: Url = DEFAULT_URL,
    key: Key = "",
    topic: Annotated[str | None, typer.Option(help="Only this topic")] = None,
    event_type: Annotated[str | None, typer.Option("--type", help="Only this type")] = None,
    subject: Annotated[str | None, typer.Option(help="Only this aggregate id")] = None,
    limit: Annotated[int, typer.Option(help="How many")] = 20,
    follow: Annotated[bool, typer.Option(help="Keep printing new events")] = False,
) -> None:
    """The newest events, oldest of them first; --follow keeps watching."""
    filters = {"topic": topic, "type": event_type, "subject": subject}
    query = "&".join(f"{name}={value}" for name, value in filters.items() if value)
    seen: set[str] = set()
    while True:
        page = call(url, key, "GET", f"/api/events?limit={limit}&{query}")
        fresh = [event for event in reversed(page["items"]) if event["id"] not in seen]
        if fresh or not follow:
            _console().print(_events_table(fresh))
        seen.update(event["id"] for event in fresh)
        if not follow:
            return
        time.sleep(1.0)


def _events_table(events: list[dict[str, Any]]) -> Table:
    table = Table("time", "topic", "type", "subject", "source", "correlation")
    for event in events:
        cells = [event["type"] or "(unreadable)", event["subject"], event["source"]]
        cells.append(event["correlation_id"])
        table.add_row(event["timestamp"][11:23], event["topic"], *(c or "" for c in cells))
    return table


@app.command("lag")
def lag(url: Url = DEFAULT_URL, key: Key = "") -> None:
    """Consumer groups: state, members, lag per partition."""
    overview = call(url, key, "GET", "/api/streams")
    table = Table("group", "state", "members", "partition", "committed", "end", "lag")
    for group in overview["groups"]:
        first = True
        for part in group["partitions"] or [None]:
            head = (
                [group["group"], group["state"], str(len(group["members"]))] if first else [""] * 3
            )
            first = False
            if part is None:
                table.add_row(*head, "", "", "", "0")
                continue
            table.add_row(*head, f"{part['topic']}[{part['partition']}]", str(part["committed"]),
                          str(part["end_offset"]), str(part["lag"]))  # fmt: skip
    _console().print(table)
    _console().print(f"[dim]groups listed by {overview['group_listing']}[/]")


@app.command("dlq")
def dlq(
    url: Url = DEFAULT_URL,
    key: Key = "",
    status: Annotated[str | None, typer.Option(help="pending, replayed or discarded")] = None,
    replay: Annotated[list[str] | None, typer.Option(help="Replay this id (repeatable)")] = None,
    dry_run: Annotated[str | None, typer.Option(help="Validate this id only")] = None,
) -> None:
    """Dead letters; --dry-run ID checks one, --replay ID sends them back."""
    if dry_run:
        result = call(url, key, "POST", f"/api/dead-letters/{dry_run}/dry-run")
        verdict = "valid" if result["valid"] else "invalid: " + "; ".join(result["problems"])
        _console().print(f"{dry_run}: {verdict}")
        return
    if replay:
        report = call(url, key, "POST", "/api/dead-letters/replay", {"ids": replay})
        for outcome in report["outcomes"]:
            _console().print(f"{outcome['id']}: {outcome['error'] or 'replayed'}")
        return
    query = f"?status={status}&limit=100" if status else "?limit=100"
    page = call(url, key, "GET", f"/api/dead-letters{query}")
    table = Table("id", "original", "type", "error", "group", "status")
    for letter in page["items"]:
        where = f"[{letter['original_partition']}]@{letter['original_offset']}"
        cells = [letter["event_type"], letter["error"], letter["consumer_group"]]
        table.add_row(letter["id"], letter["original_topic"] + where, *(c or "" for c in cells),
                      letter["status"])  # fmt: skip
    _console().print(table)
