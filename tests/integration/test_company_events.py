"""Company events leave through the outbox onto Kafka, enveloped, ordered per company."""

import json
from typing import Any

from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator

from shared.envelope import Envelope
from shared.mongo import create_client
from shared.outbox import Outbox
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.test_companies_api import registration
from tests.support import Caller, eventually, granted, outbox_events, read_topic

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_registration_is_published_as_a_cloudevent_with_headers(
    client: TestClient[Any, Any], settings: ServiceSettings
) -> None:
    response = await client.post(
        "/companies",
        json=registration(),
        headers={
            "X-Correlation-ID": "corr-42",
            "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01",
        },
    )
    company_id = (await response.json())["company"]["company_id"]
    [record] = await read_topic(settings, Topics(settings.topic_prefix).of("companies"), 1)

    envelope = Envelope.from_bytes(record.value)
    assert record.key == company_id.encode()
    assert envelope.type == "jamp.company.registered.v1"
    assert envelope.source == "companies" and envelope.subject == company_id
    assert envelope.specversion == "1.0" and envelope.datacontenttype == "application/json"
    assert envelope.correlationid == "corr-42"
    assert envelope.traceparent.split("-")[1] == TRACE_ID
    assert envelope.data["company"]["name_en"] == "Kaiyo Water Engineering"
    headers = dict(record.headers)
    assert headers["ce_id"] == envelope.id.encode()
    assert headers["ce_type"] == b"jamp.company.registered.v1"
    assert headers["ce_subject"] == company_id.encode()
    assert headers["correlationid"] == b"corr-42"
    assert headers["traceparent"] == envelope.traceparent.encode()


async def test_the_company_key_is_announced_without_the_key_itself(
    client: TestClient[Any, Any], settings: ServiceSettings
) -> None:
    response = await client.post("/companies", json=registration())
    body = await response.json()
    [record] = await read_topic(settings, Topics(settings.topic_prefix).of("identity"), 1)
    envelope = Envelope.from_bytes(record.value)
    assert envelope.type == "jamp.apikey.issued.v1"
    assert envelope.data["role"] == "company"
    assert envelope.data["scope"] == body["company"]["company_id"]
    assert body["api_key"] not in record.value.decode()
    assert envelope.data["by"] == "anonymous"  # issued by a registration anyone may make


async def test_one_companys_events_arrive_in_order_with_what_changed(
    anonymous: Caller, client: TestClient[Any, Any], settings: ServiceSettings
) -> None:
    registered = await (await anonymous.post("/companies", registration())).json()
    company_id = registered["company"]["company_id"]
    own = Caller(client, registered["api_key"])
    admin = await granted(client, "admin")
    path = f"/companies/{company_id}"
    await own.patch(
        path, {"tags": ["water_supply", "flood_control", "wastewater"]}, {"If-Match": '"1"'}
    )
    await own.patch(path, {"size": "medium"}, {"If-Match": '"2"'})  # no change: no event
    await admin.post(f"{path}/verify")
    await admin.post(f"{path}/suspend", {"reason": "expired documents"})

    records = await read_topic(settings, Topics(settings.topic_prefix).of("companies"), 4)
    assert len({record.partition for record in records}) == 1
    envelopes = [
        Envelope.from_bytes(record.value) for record in sorted(records, key=lambda r: r.offset)
    ]
    assert [envelope.type.split(".")[2] for envelope in envelopes] == [
        "registered",
        "updated",
        "verified",
        "suspended",
    ]
    updated, verified, suspended = (envelope.data for envelope in envelopes[1:])
    assert updated["changes"] == {"tags": ["water_supply", "flood_control", "wastewater"]}
    assert updated["version"] == 2
    assert updated["by"] == f"company:{company_id}"  # who changed it, as every change says
    assert updated["by_person"]["grant"] == f"company:{company_id}"
    assert verified["by"].startswith("admin") and verified["version"] == 3
    assert suspended["reason"] == "expired documents"


async def test_published_rows_leave_nothing_to_relay(
    anonymous: Caller, settings: ServiceSettings
) -> None:
    await anonymous.post("/companies", registration())
    mongo = create_client(settings.mongodb_uri)
    outbox = Outbox(mongo[settings.database_name("companies")]["outbox"])

    async def all_sent() -> bool:
        events = await outbox_events(outbox.collection)
        return len(events) == 2 and await outbox.backlog() == 0

    try:
        await eventually(all_sent)
    finally:
        await mongo.close()


async def test_published_events_match_the_served_asyncapi_document(
    anonymous: Caller, client: TestClient[Any, Any], settings: ServiceSettings
) -> None:
    document = await (await anonymous.get("/asyncapi.json")).json()
    assert document["asyncapi"] == "3.0.0"
    assert document["channels"]["companies"]["address"] == Topics(settings.topic_prefix).of(
        "companies"
    )
    registered = await (await anonymous.post("/companies", registration())).json()
    admin = await granted(client, "admin")
    await admin.post(f"/companies/{registered['company']['company_id']}/verify")

    records = await read_topic(settings, Topics(settings.topic_prefix).of("companies"), 2)
    for record in records:
        envelope = json.loads(record.value)
        [message] = [
            message
            for message in document["components"]["messages"].values()
            if message["name"] == envelope["type"]
        ]
        schema = {**message["payload"], "components": document["components"]}
        Draft202012Validator(schema).validate(envelope)
