"""The dev desk's mail path as `jamp dev` wires it: the catcher in its own process, the
service pointed at it by the variables `jamp dev` gives it, and `jamp mail list` showing
what the service sent."""

import asyncio
from pathlib import Path

from pydantic import SecretStr
from typer.testing import CliRunner

from jamp import app as cli
from jamp.dev import MAIL_FOLDER, DevOptions, start_mail_catcher
from services.notifications.app import create_app
from services.notifications.settings import NotificationSettings
from shared.mailcatcher import CaughtMail, caught
from tests.integration.notifications.conftest import known, publish
from tests.integration.notifications.events import CITY_EMAIL, new_id, proposal_submitted
from tests.integration.notifications.test_who_hears_what import decision_of
from tests.support import eventually, serving


async def test_the_dev_desk_mails_through_its_catcher_and_jamp_mail_lists_it(
    tmp_path: Path, notification_settings: NotificationSettings
) -> None:
    options = DevOptions(state_dir=tmp_path, mongo_port=0, kafka_port=0, base_port=0)
    catcher, env = await start_mail_catcher(options, say=lambda _: None)
    dev = notification_settings.model_copy(update={
        "smtp_url": SecretStr(env["JAMP_SMTP_URL"]),
        "notifications_inbound_port": int(env["JAMP_NOTIFICATIONS_INBOUND_PORT"]),
    })  # fmt: skip
    proposal_id = new_id()
    try:
        async with serving(create_app, dev) as client:
            await publish(dev, (proposal_submitted(proposal_id), proposal_id))
            await known(client, f"proposal:{proposal_id}")
            await publish(dev, (decision_of(proposal_id), proposal_id))

            async def kept() -> list[CaughtMail] | None:
                found = caught(tmp_path / MAIL_FOLDER)
                return [mail for mail in found if CITY_EMAIL in mail.to] or None

            [mail] = await eventually(kept, timeout=30)
    finally:
        await catcher.stop()
    assert "accepted" in mail.subject
    listed = await asyncio.to_thread(
        CliRunner().invoke, cli, ["mail", "list", "--state-dir", str(tmp_path)]
    )
    assert listed.exit_code == 0 and mail.mail_id in listed.output
