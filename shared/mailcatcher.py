"""The dev stack's SMTP relay: an aiosmtpd server in its own process that accepts every
message and keeps it as ``<folder>/<id>.eml`` with a line in ``index.jsonl``. ``jamp dev``
points the notifications service at it; ``jamp mail list|show`` reads the folder.

``python -m shared.mailcatcher --port P --folder DIR``
"""

import argparse
import asyncio
import contextlib
import json
import signal
from dataclasses import dataclass
from email import message_from_bytes, policy
from functools import partial
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from shared.clock import utc_now

INDEX = "index.jsonl"


@dataclass(frozen=True)
class CaughtMail:
    mail_id: str
    received_at: str
    mail_from: str
    to: list[str]
    subject: str
    reply_to: str | None

    @classmethod
    def from_line(cls, line: str) -> "CaughtMail":
        return cls(**json.loads(line))


class Catcher:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=policy.default)
        now = utc_now()
        mail_id = f"{now:%Y%m%d%H%M%S%f}"
        (self.folder / f"{mail_id}.eml").write_bytes(content)
        caught = CaughtMail(
            mail_id=mail_id,
            received_at=now.isoformat(),
            mail_from=envelope.mail_from or "",
            to=list(envelope.rcpt_tos),
            subject=str(message.get("Subject", "")),
            reply_to=str(message["Reply-To"]) if message["Reply-To"] else None,
        )
        with (self.folder / INDEX).open("a", encoding="utf-8") as index:
            index.write(json.dumps(caught.__dict__, ensure_ascii=False) + "\n")
        return "250 OK caught"


def caught(folder: Path) -> list[CaughtMail]:
    """Every caught mail, oldest first."""
    index = folder / INDEX
    if not index.exists():
        return []
    return [CaughtMail.from_line(line) for line in index.read_text("utf-8").splitlines() if line]


def raw_mail(folder: Path, mail_id: str) -> bytes | None:
    """The caught message as received; None for an id the folder does not hold."""
    if not mail_id.isdigit():
        return None
    path = folder / f"{mail_id}.eml"
    return path.read_bytes() if path.exists() else None


async def serve(port: int, folder: Path) -> None:
    factory: Any = partial(SMTP, Catcher(folder), hostname="mailcatcher.local", decode_data=False)
    server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", port)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(server.wait_closed(), 5)


def main() -> None:
    parser = argparse.ArgumentParser(description="JAMP Desk dev mail catcher")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    arguments = parser.parse_args()
    asyncio.run(serve(arguments.port, arguments.folder))


if __name__ == "__main__":
    main()
