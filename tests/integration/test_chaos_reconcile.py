"""The reconciliation of ``jamp chaos`` counts what is missing or doubled in every store:
the fault suite's zeros mean something only if a real gap shows as one."""

from typing import Any

from aiohttp.test_utils import TestClient

from jamp.chaos.faults import POISON_CONSUMERS
from jamp.chaos.load import Answer, corporate_number
from jamp.chaos.reconcile import REGISTERED, Look
from jamp.dev import SERVICES
from services.companies.model import EXAMPLE_REGISTRATION
from shared.mongo import MongoClient, create_client
from shared.settings import ServiceSettings


async def accepted(client: TestClient[Any, Any], serial: int) -> Answer:
    number = corporate_number(serial)
    body = {**EXAMPLE_REGISTRATION, "corporate_number": number}
    response = await client.post("/companies", json=body)
    assert response.status == 201, await response.text()
    answer = await response.json()
    return Answer(number, 201, answer["company"]["company_id"], answer["api_key"])


async def apply_everywhere(settings: ServiceSettings, mongo: MongoClient, company: str) -> None:
    """What every consumer holds once it applied the company's registration and key."""

    def db(owner: str) -> Any:  # fmt: skip
        return mongo[settings.database_name(owner)]

    await db("matching")["companies"].insert_one({"_id": company})
    await db("inquiries")["known_companies"].insert_one({"_id": company})
    await db("notifications")["directory"].insert_one({"_id": f"company:{company}"})
    await db("monitor")["events"].insert_one({"_id": company, "type": REGISTERED,
                                              "subject": company})  # fmt: skip
    async for key in db("companies")["api_keys"].find({"scope": company}):
        for owner in SERVICES:
            if owner != "companies":
                await db(owner)["api_keys"].insert_one(key)


async def test_a_company_no_consumer_applied_is_lost_and_one_applied_twice_is_duplicated(
    client: TestClient[Any, Any], settings: ServiceSettings
) -> None:
    answers = [await accepted(client, serial) for serial in (1, 2)]
    mongo = create_client(settings.mongodb_uri)
    try:
        look = Look(settings, mongo, answers, [])
        await look.take()
        assert (look.result.accepted, look.result.lost, look.result.duplicated) == (2, 2, 0)
        assert look.result.missing["matching.companies"] == 2
        assert look.result.missing["monitor.api_keys"] == 2

        for answer in answers:
            assert answer.company_id is not None
            await apply_everywhere(settings, mongo, answer.company_id)
        await look.take()
        assert (look.result.lost, look.result.duplicated, look.result.missing) == (0, 0, {})

        # A registration indexed under a second event id: one company, two events.
        await mongo[settings.database_name("monitor")]["events"].insert_many([
            {"_id": f"again-{a.company_id}", "type": REGISTERED, "subject": a.company_id}
            for a in answers
        ])  # fmt: skip
        await look.take()
        assert (look.result.lost, look.result.duplicated) == (0, 2)
    finally:
        await mongo.close()


async def test_poison_must_be_dead_lettered_by_every_consumer_and_nothing_else(
    settings: ServiceSettings,
) -> None:
    mongo = create_client(settings.mongodb_uri)
    letters = mongo[settings.database_name("monitor")]["dead_letters"]
    try:
        look = Look(settings, mongo, [], ["poison-1"])
        await look.take()
        assert look.result.lost == len(POISON_CONSUMERS)
        assert look.result.missing == {"monitor.dead_letters": len(POISON_CONSUMERS)}

        for n, service in enumerate(POISON_CONSUMERS):
            group = settings.group_id(service)
            await letters.insert_one({"_id": f"l{n}", "key": "poison-1", "consumer_group": group})
        await letters.insert_one(
            {"_id": "stray", "key": "a-good-event", "consumer_group": settings.group_id("matching")}
        )
        await look.take()
        assert (look.result.lost, look.result.extra_dead_letters) == (0, 1)
    finally:
        await mongo.close()
