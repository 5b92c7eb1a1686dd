"""The ``jamp`` command: run the desk, manage API keys, replay outboxes."""

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pymongo.errors import ServerSelectionTimeoutError
from rich.console import Console
from rich.table import Column, Table

from jamp import dev, keys
from jamp import monitor as monitor_cli
from jamp.bench import bench_app
from jamp.chaos.command import chaos
from jamp.mail import mail_app
from jamp.matching import matching_app
from jamp.outbox import replay
from shared.identity import AddPerson, ChangePerson
from shared.kafka import ensure_topics
from shared.settings import MissingSecret, ServiceSettings
from shared.topics import Topics

app = typer.Typer(help="JAMP Desk", no_args_is_help=True, add_completion=False)
keys_app = typer.Typer(help="API keys: create, list, revoke", no_args_is_help=True)
people_app = typer.Typer(help="People and named systems holding keys", no_args_is_help=True)
outbox_app = typer.Typer(help="Transactional outboxes", no_args_is_help=True)
topics_app = typer.Typer(help="Kafka topics", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(people_app, name="people")
app.add_typer(outbox_app, name="outbox")
app.add_typer(topics_app, name="topics")
app.add_typer(matching_app, name="matching")
app.add_typer(bench_app, name="bench")
app.command("chaos")(chaos)
app.add_typer(monitor_cli.app, name="monitor")
app.add_typer(mail_app, name="mail")
console = Console(highlight=False)


def _settings() -> ServiceSettings:
    return dev.desk_settings(ServiceSettings)


@app.command("dev")
def run_dev(
    state_dir: Annotated[
        Path, typer.Option(help="Data and logs; survives restarts", envvar=dev.STATE_DIR_VARIABLE)
    ] = dev.DEFAULT_STATE_DIR,
    mongo_port: Annotated[int, typer.Option(help="0 picks a free port")] = 0,
    kafka_port: Annotated[int, typer.Option(help="0 picks a free port")] = 0,
    base_port: Annotated[int, typer.Option(help="Service n listens on base+n; 0: free")] = 8100,
    durable_broker: Annotated[
        bool, typer.Option(help="Keep the broker's data on disk (SeaweedFS S3 under Tansu)")
    ] = False,
) -> None:
    """Start SecantusDB, Tansu and every service; Ctrl-C stops them in order."""
    options = dev.DevOptions(state_dir, mongo_port, kafka_port, base_port, durable_broker)
    raise typer.Exit(asyncio.run(dev.run_dev(options)))


def _a_service(service: str) -> str:
    """An option naming a service of the desk: another name would read an empty replica
    and print an empty table, as if nobody held a key."""
    if service not in dev.SERVICES:
        raise typer.BadParameter(f"{service!r} is no service; one of {', '.join(dev.SERVICES)}")
    return service


@keys_app.command("create")
def create_key(
    grant: Annotated[str, typer.Argument(help="admin, operator, desk:VN, city:<id>, company:<id>")],
    label: Annotated[str, typer.Option(help="Who holds it")] = "",
) -> None:
    """Issue a key. It is printed once and stored only as a hash."""
    try:
        issued, published = asyncio.run(keys.create_key(_settings(), grant, label or grant))
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="GRANT") from None
    console.print(f"key id  {issued.event.key_id}")
    console.print(f"api key {issued.plaintext}")
    console.print("[dim]shown once; services accept it as soon as they read the identity stream[/]")
    _report(published)


@keys_app.command("list")
def list_keys(
    service: Annotated[
        str, typer.Option(help="Whose replica to read", callback=_a_service)
    ] = "companies",
) -> None:
    """Every key (never the key itself), as a service knows it."""
    table = Table(
        Column("key id", no_wrap=True),
        "role",
        Column("scope", no_wrap=True),
        "label",
        "issued",
        "revoked",
    )
    for record in asyncio.run(keys.list_keys(_settings(), service)):
        table.add_row(
            record["_id"],
            record.get("role", "?"),
            record.get("scope") or "",
            record.get("label", ""),
            _when(record.get("issued_at")),
            _when(record.get("revoked_at")),
        )
    console.print(table)


@keys_app.command("revoke")
def revoke_key(
    key_id: str, reason: Annotated[str, typer.Option(help="Why")] = "revoked by operator"
) -> None:
    """Revoke a key everywhere."""
    try:
        published = asyncio.run(keys.revoke_key(_settings(), key_id, reason))
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="KEY_ID") from None
    _report(published)
    console.print(f"revoked {key_id}")


@people_app.command("add")
def add_person(
    name: Annotated[str, typer.Argument(help="The person's (or system's) name")],
    grant: Annotated[list[str], typer.Option(help="desk:VN, operator, admin…; repeatable")],
    email: Annotated[str | None, typer.Option(help="Needed for a person")] = None,
    language: Annotated[str, typer.Option(help="Preferred language")] = "en",
    time_zone: Annotated[str, typer.Option(help="IANA time zone")] = "Asia/Tokyo",
    system: Annotated[bool, typer.Option(help="A named system, not a person")] = False,
) -> None:
    """Register a person and issue them one key per grant (each printed once)."""
    try:
        command = AddPerson(
            name=name,
            email=email,
            language=language,
            time_zone=time_zone,
            kind="system" if system else "person",
            grants=grant,
        )
        person, issued, published = asyncio.run(keys.add_person(_settings(), command))
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    console.print(f"person  {person.person_id}  {person.name}")
    for key in issued:
        console.print(f"grant   {key.grant}")
        console.print(f"key id  {key.event.key_id}")
        console.print(f"api key {key.plaintext}")
    console.print("[dim]keys are shown once; services know the person from the identity stream[/]")
    _report(published)


@people_app.command("update")
def update_person(
    person_id: Annotated[str, typer.Argument(help="The person's id (jamp people list)")],
    name: Annotated[str | None, typer.Option(help="New name")] = None,
    email: Annotated[str | None, typer.Option(help="New e-mail address")] = None,
    language: Annotated[str | None, typer.Option(help="New preferred language")] = None,
    time_zone: Annotated[str | None, typer.Option(help="New IANA time zone")] = None,
    service: Annotated[
        str, typer.Option(help="Whose replica holds their details", callback=_a_service)
    ] = "monitor",
) -> None:
    """Change a person's details; every service's replica and their mail follow."""
    given = {"name": name, "email": email, "language": language, "time_zone": time_zone}
    try:
        command = ChangePerson(**{field: value for field, value in given.items() if value})
        changed, published = asyncio.run(
            keys.update_person(_settings(), person_id, command, service)
        )
    except LookupError as error:
        raise typer.BadParameter(str(error), param_hint="PERSON_ID") from None
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    if changed is None:
        console.print(f"person  {person_id}  unchanged")
        return
    console.print(f"person  {person_id}  changed: {', '.join(changed.changed)}")
    _report(published)


@people_app.command("list")
def list_people(
    service: Annotated[
        str, typer.Option(help="Whose replica to read", callback=_a_service)
    ] = "companies",
) -> None:
    """Every person and named system, as a service knows them."""
    table = Table(Column("person id", no_wrap=True), "kind", "name", "e-mail", "time zone")
    for record in asyncio.run(keys.list_people(_settings(), service)):
        table.add_row(
            record["_id"],
            record.get("kind", ""),
            record.get("name", ""),
            record.get("email") or "",
            record.get("time_zone", ""),
        )
    console.print(table)


@outbox_app.command("replay")
def replay_outbox(
    since: Annotated[datetime, typer.Option(help="ISO time, e.g. 2026-11-23T09:00:00+00:00")],
    until: Annotated[datetime | None, typer.Option(help="Exclusive end")] = None,
    owner: Annotated[list[str] | None, typer.Option(help="Only these outboxes")] = None,
) -> None:
    """Move the relays' cursors back over retained events: they re-publish them in order."""
    counts = asyncio.run(replay(_settings(), since, until, owner or dev.OUTBOX_OWNERS))
    for name, count in counts.items():
        console.print(f"{name}: {count} events marked for re-publication")


@topics_app.command("ensure")
def ensure_all_topics(
    partitions: Annotated[int, typer.Option(help="Partitions per topic")] = 3,
    replication: Annotated[int, typer.Option(help="Replication factor")] = 1,
) -> None:
    """Create every stream and its .dlq twin that does not exist yet (idempotent)."""
    settings = _settings()
    names = Topics(settings.topic_prefix).all()
    created = asyncio.run(
        ensure_topics(
            settings.kafka_bootstrap_servers, names, partitions=partitions, replication=replication
        )
    )
    for name in names:
        console.print(f"{name} {'created' if name in created else 'exists'}")


def _report(published: keys.Published) -> None:
    if published.pending:
        console.print(
            f"[yellow]{published.pending} ledger events are not on Kafka yet; a running "
            "companies service relays them (else the next `jamp keys` command)[/]"
        )


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def main() -> None:
    """The ``jamp`` command. A desk it cannot reach, or a secret it lacks, is said in a
    line (exit 2), not shown as a traceback: the usual cause is a shell outside the
    project, where ``jamp dev``'s settings file is not found."""
    try:
        app()
    except MissingSecret as missing:
        console.print(f"[red]{missing}[/]")
        raise SystemExit(2) from None
    except ServerSelectionTimeoutError:
        console.print(
            "[red]no database answers at JAMP_MONGODB_URI; is the desk running (`jamp dev`), "
            f"and is {dev.STATE_DIR_VARIABLE} its --state-dir (unset: {dev.DEFAULT_STATE_DIR}"
            " in this folder)?[/]"
        )
        raise SystemExit(2) from None
