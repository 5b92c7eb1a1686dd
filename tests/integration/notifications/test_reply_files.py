"""A desk reply's files reach the requester by mail as signed links to the inquiries
service, which serves them without a key (``tests/integration/inquiries/test_attachments.py``
downloads through such links); a requester may be an organisation's contact with none."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient

from services.notifications.settings import NotificationSettings
from shared.contracts.attachments import AttachmentInfo
from shared.contracts.inquiries import (
    InquiryDetails,
    InquiryReplied,
    InquiryRequester,
    InquirySubmitted,
    RequesterContact,
    mailed_file_path,
)
from shared.signed_links import check_signed, link_key
from tests.integration.notifications.conftest import Relay, known, mail_to, publish
from tests.integration.notifications.events import new_id
from tests.integration.notifications.test_invitations import text_of

CONTACT = "tran@hue-chamber.example"


async def submitted(settings: NotificationSettings, client: TestClient[Any, Any]) -> str:
    """An inquiry from an organisation: its contact has no key, only mail."""
    inquiry_id = new_id()
    requester = InquiryRequester(
        kind="organisation", organisation="Hue Chamber of Commerce",
        contact=RequesterContact(name="Tran Thi B", email=CONTACT),
    )  # fmt: skip
    details = InquiryDetails(
        inquiry_id=inquiry_id, country="VN", city=None, requester=requester,
        category="partner_search", subject="Partners for flood warning", language="ja",
        priority="high", proposal_id=None, company_id=None, focus_areas=[],
        submitted_by="desk:VN", submitted_at=datetime.now(UTC),
    )  # fmt: skip
    await publish(settings, (InquirySubmitted(inquiry=details), inquiry_id))
    await known(client, f"inquiry:{inquiry_id}")
    return inquiry_id


def attached(name: str, size: int) -> AttachmentInfo:
    return AttachmentInfo(
        attachment_id=new_id(), name=name, media_type="application/pdf", size=size,
        sha256="0" * 64, uploaded_by="desk:VN", uploaded_at=datetime.now(UTC),
    )  # fmt: skip


async def replied(
    settings: NotificationSettings, inquiry_id: str, body: str, files: list[AttachmentInfo]
) -> None:
    """The desk's reply, as the inquiries service publishes it."""
    reply = InquiryReplied(
        inquiry_id=inquiry_id, message_id=new_id(), side="desk", author="desk:VN", body=body,
        at=datetime.now(UTC), attachments=tuple(files),
    )  # fmt: skip
    await publish(settings, (reply, inquiry_id))


async def test_a_reply_with_files_mails_a_signed_link_to_each(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
) -> None:
    inquiry_id = await submitted(notification_settings, notifications)
    files = [attached("permit.pdf", 2_300_000), attached("budget.csv", 980)]
    await replied(notification_settings, inquiry_id, "The permit and the budget.", files)

    [mail] = await mail_to(relay, CONTACT)
    text = text_of(mail)  # the inquiry is in Japanese
    assert "permit.pdf\uff082.3 MB\uff09" in text  # in full-width brackets
    assert "budget.csv\uff08980 bytes\uff09" in text
    links = re.findall(r"https?://\S+/signed\?\S+", text)
    assert len(links) == 2
    days = timedelta(days=notification_settings.notifications_file_link_days)
    for info, link in zip(files, links, strict=True):
        parts = urlsplit(link)
        assert f"{parts.scheme}://{parts.netloc}" == notification_settings.inquiries_public_url
        assert parts.path == mailed_file_path(inquiry_id, info.attachment_id)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        expires = int(query["expires"])
        check_signed(link_key(notification_settings), parts.path, expires, query["signature"],
                     datetime.now(UTC))  # fmt: skip
        until = datetime.fromtimestamp(expires, UTC)
        assert abs(until - (datetime.now(UTC) + days)) < timedelta(minutes=5)


async def test_a_reply_without_files_says_nothing_of_files(
    notifications: TestClient[Any, Any],
    notification_settings: NotificationSettings,
    relay: Relay,
) -> None:
    inquiry_id = await submitted(notification_settings, notifications)
    await replied(notification_settings, inquiry_id, "No files this time.", [])
    [mail] = await mail_to(relay, CONTACT)
    assert "添付ファイル" not in text_of(mail) and "/signed?" not in text_of(mail)
