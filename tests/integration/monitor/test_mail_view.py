"""The console's Mail view: what the notifications stream says was sent, failed or came in,
and nothing of any other stream; recipients masked for operators like any e-mail address."""

from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.contracts import EventPayload
from shared.contracts.companies import CompanyVerified
from shared.contracts.notifications import InboundMailRefused, MailSent
from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.support import Caller, eventually


async def _publish(
    producer: AIOKafkaProducer, settings: ServiceSettings, payload: EventPayload
) -> None:
    envelope = Envelope.wrap(payload, source=payload.stream, subject="s-1")
    topic = Topics(settings.topic_prefix).of(payload.stream)
    await producer.send_and_wait(
        topic, envelope.to_bytes(), key=b"s-1", headers=envelope.kafka_headers()
    )


async def test_the_mail_view_lists_the_notifications_stream_only_with_addresses_masked(
    producer: AIOKafkaProducer, settings: ServiceSettings, operator: Caller, admin: Caller
) -> None:
    now = datetime.now(UTC)
    sent = MailSent(
        mail_id="m-1", event_id="e-1", template="inquiry_replied", category="inquiries",
        recipient="lan@riverfund.example", attempts=1, possible_duplicate=False, sent_at=now,
    )  # fmt: skip
    refused = InboundMailRefused(inbound_id="i-1", reason="forged token", code=550, received_at=now)
    other = CompanyVerified(company_id="c-1", version=2, by="admin")
    for payload in (sent, other, refused):
        await _publish(producer, settings, payload)

    async def listed() -> list[dict[str, Any]] | None:
        items = (await (await operator.get("/api/mail")).json())["items"]
        return items if len(items) >= 2 else None

    items = await eventually(listed)
    assert {item["type"] for item in items} == {MailSent.event_type, InboundMailRefused.event_type}
    by_type = {item["type"]: item for item in items}
    assert by_type[MailSent.event_type]["data"]["recipient"] == "***"
    as_admin = (await (await admin.get("/api/mail")).json())["items"]
    assert {item["data"].get("recipient") for item in as_admin} >= {"lan@riverfund.example"}
