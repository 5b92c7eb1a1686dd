"""The dev relay keeps every message under the state folder, and `jamp mail list|show`
reads it back."""

import asyncio
from email.message import EmailMessage
from functools import partial
from pathlib import Path

import aiosmtplib
from aiosmtpd.smtp import SMTP
from typer.testing import CliRunner

from jamp import app as cli
from jamp.dev import MAIL_FOLDER
from shared.embedded import free_port
from shared.mailcatcher import Catcher, caught, raw_mail


async def test_caught_mail_is_kept_and_jamp_mail_shows_it(tmp_path: Path) -> None:
    folder = tmp_path / MAIL_FOLDER
    port = free_port()
    server = await asyncio.get_running_loop().create_server(
        partial(SMTP, Catcher(folder), decode_data=False), "127.0.0.1", port
    )
    message = EmailMessage()
    message["From"], message["To"] = "desk@jamp.localhost", "an@danang.example"
    message["Subject"] = "[JAMP Desk] 案件 #c0ffee: 採択"
    message["Reply-To"] = "reply+abc@reply.jamp.localhost"
    message.set_content("Your proposal was accepted.")
    try:
        await aiosmtplib.send(message, hostname="127.0.0.1", port=port)
    finally:
        server.close()
        await server.wait_closed()

    [kept] = caught(folder)
    assert kept.to == ["an@danang.example"] and kept.subject == "[JAMP Desk] 案件 #c0ffee: 採択"
    assert kept.reply_to == "reply+abc@reply.jamp.localhost"
    assert raw_mail(folder, "../index") is None  # ids name files in the folder only
    runner = CliRunner()
    listed = await asyncio.to_thread(
        runner.invoke, cli, ["mail", "list", "--state-dir", str(tmp_path)]
    )
    assert listed.exit_code == 0 and kept.mail_id in listed.output
    shown = await asyncio.to_thread(
        runner.invoke, cli, ["mail", "show", kept.mail_id, "--state-dir", str(tmp_path)]
    )
    assert shown.exit_code == 0 and "Your proposal was accepted." in shown.output
