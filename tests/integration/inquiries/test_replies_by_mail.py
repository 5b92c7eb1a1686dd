"""A requester's reply by e-mail (``jamp.mail.reply_received.v1``, published by the
notifications service) is added to the conversation at most once, by its inbound mail id:
the append commits in its own transaction, and a crash before the consumer's marker
commits delivers the same event again."""

from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from services.inquiries.consumers import on_reply_by_mail
from shared.consumer import ConsumedEvent
from shared.contracts.notifications import InquiryReplyReceived
from shared.envelope import Envelope
from shared.mongo import new_id, transaction
from shared.platform import PLATFORM
from tests.integration.inquiries.conftest import history_types, submitted
from tests.support import Caller


async def deliver(
    inquiries: TestClient[Any, Any], envelope: Envelope, received: InquiryReplyReceived
) -> None:
    """One delivery of the event to the consumer's entrypoint, in a consumer transaction."""
    app = inquiries.app
    async with transaction(app[PLATFORM].mongo) as session:
        await on_reply_by_mail(ConsumedEvent(envelope, received, session), app)


async def test_the_same_reply_by_mail_delivered_twice_is_one_reply(
    inquiries: TestClient[Any, Any], vn_desk: Caller
) -> None:
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    answer = await vn_desk.post(f"/inquiries/{inquiry_id}/replies", {"body": "Try A or B."})
    assert answer.status == 201, await answer.text()
    received = InquiryReplyReceived(
        inquiry_id=inquiry_id, inbound_id=new_id(), sender="lan@riverfund.example",
        body="Please introduce B.", received_at=datetime.now(UTC),
    )  # fmt: skip
    envelope = Envelope.wrap(received, source="notifications", subject=inquiry_id)

    await deliver(inquiries, envelope, received)
    # The consumer stopped before its processed marker committed: the same event again.
    await deliver(inquiries, envelope, received)

    messages = (await (await vn_desk.get(f"/inquiries/{inquiry_id}/messages")).json())["items"]
    from_requester = [m for m in messages if m["side"] == "requester"]
    assert [m["body"] for m in from_requester] == ["Please introduce B."]
    assert from_requester[0]["message_id"] == received.inbound_id
    history = await history_types(vn_desk, inquiry_id)
    assert history.count("replied") == 2  # the desk's answer and the requester's, once
