"""``jamp mail list|show ID``: what the dev desk sent (the mail catcher's folder) and the
replies it received (the notifications service's inbound record)."""

import asyncio
from email import message_from_bytes, policy
from pathlib import Path
from typing import Annotated, Any

import typer
from pymongo.errors import PyMongoError
from rich.console import Console
from rich.table import Table

from jamp.dev import DEFAULT_STATE_DIR, MAIL_FOLDER, STATE_DIR_VARIABLE, desk_settings
from shared.mailcatcher import caught, raw_mail
from shared.mongo import create_client
from shared.settings import ServiceSettings

mail_app = typer.Typer(help="Mail the dev desk sent and received", no_args_is_help=True)
console = Console(highlight=False)
StateDir = Annotated[
    Path,
    typer.Option(
        help="The folder `jamp dev` keeps its state in",
        envvar=STATE_DIR_VARIABLE,
        exists=True,
        file_okay=False,
    ),
]


@mail_app.command("list")
def list_mail(state_dir: StateDir = DEFAULT_STATE_DIR) -> None:
    """Caught outgoing mail, newest last, then the replies received by mail."""
    sent = Table("id", "to", "subject", title="sent (caught by the dev relay)")
    for mail in caught(state_dir / MAIL_FOLDER):
        sent.add_row(mail.mail_id, ", ".join(mail.to), mail.subject)
    console.print(sent)
    received = Table("id", "from", "inquiry", "accepted", "reason", title="received")
    inbound = _inbound(state_dir)
    if inbound is None:
        received.caption = "no desk answers: the replies received are not shown"
    for record in inbound or []:
        received.add_row(
            str(record["_id"]), str(record.get("sender", "")), str(record.get("inquiry_id") or ""),
            "yes" if record.get("accepted") else "no", str(record.get("reason") or ""),
        )  # fmt: skip
    console.print(received)


@mail_app.command("show")
def show_mail(mail_id: str, state_dir: StateDir = DEFAULT_STATE_DIR) -> None:
    """One caught mail (headers and its plain-text part), or one received reply."""
    raw = raw_mail(state_dir / MAIL_FOLDER, mail_id)
    if raw is not None:
        message = message_from_bytes(raw, policy=policy.default)
        for header in ("From", "To", "Reply-To", "Subject", "Date", "List-Unsubscribe"):
            if message[header]:
                console.print(f"[bold]{header}:[/] {message[header]}")
        parts = [part.get_content_type() for part in message.walk()]
        console.print(f"[dim]parts: {', '.join(parts)}[/]\n")
        body = message.get_body(("plain",))
        console.print(body.get_content() if body is not None else "")
        return
    record = next((r for r in _inbound(state_dir) or [] if str(r["_id"]) == mail_id), None)
    if record is None:
        console.print(f"[red]no mail {mail_id}[/]")
        raise typer.Exit(1)
    for name in ("sender", "recipient", "inquiry_id", "accepted", "code", "reason", "body"):
        console.print(f"[bold]{name}:[/] {record.get(name)}")


def _inbound(state_dir: Path) -> list[dict[str, Any]] | None:
    """The replies received, or None when no desk answers."""
    return asyncio.run(_read_inbound(desk_settings(ServiceSettings, state_dir)))


async def _read_inbound(settings: ServiceSettings) -> list[dict[str, Any]] | None:
    client = create_client(settings.mongodb_uri, timeout_ms=2000)
    try:
        found = client[settings.database_name("notifications")]["inbound"].find()
        return [record async for record in found.sort("order", 1).limit(200)]
    except PyMongoError:  # no desk running: said under the table
        return None
    finally:
        await client.close()
