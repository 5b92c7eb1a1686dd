"""ASCN reference data: loaded once at start, readable by anyone, grown by admins."""

from typing import Any

from aiohttp.test_utils import TestClient

from services.proposals.app import create_app
from shared.envelope import Envelope
from shared.mongo import create_client
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.proposals.flows import published, stored
from tests.support import Caller, outbox_events, person, read_topic, serving

NUSANTARA = {"name": "Nusantara", "country": "ID", "joined": 2026, "time_zone": "Asia/Makassar"}


async def all_cities(caller: Caller, **params: Any) -> list[dict[str, Any]]:
    cities: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await (
            await caller.get("/cities", **params, **({"cursor": cursor} if cursor else {}))
        ).json()
        cities += page["items"]
        if not (cursor := page["next_cursor"]):
            return cities


async def test_the_31_pilot_cities_are_loaded_at_start_and_listed_by_anyone(
    proposals: TestClient[Any, Any],
) -> None:
    cities = await all_cities(Caller(proposals, None), limit=10)
    assert len(cities) == 31
    assert {
        "city_id": "da-nang",
        "name": "Da Nang",
        "country": "VN",
        "joined": 2018,
        "time_zone": "Asia/Ho_Chi_Minh",
    } in cities


async def test_cities_filter_by_country(proposals: TestClient[Any, Any]) -> None:
    thai = await all_cities(Caller(proposals, None), country="TH")
    assert sorted(city["city_id"] for city in thai) == [
        "bangkok",
        "chiang-mai",
        "chonburi",
        "khon-kaen",
        "phuket",
        "rayong",
    ]
    response = await Caller(proposals, None).get("/cities", country="XX")
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "query.country"


async def test_one_city_and_an_unknown_one(proposals: TestClient[Any, Any]) -> None:
    anyone = Caller(proposals, None)
    assert (await (await anyone.get("/cities/makassar")).json())["time_zone"] == "Asia/Makassar"
    missing = await anyone.get("/cities/atlantis")
    assert missing.status == 404
    assert missing.content_type == "application/problem+json"


async def test_loading_again_at_the_next_start_adds_nothing(
    proposals: TestClient[Any, Any], settings: ServiceSettings
) -> None:
    async with serving(create_app, settings):
        pass
    assert await stored(settings, "cities") == 31
    assert await published(settings, "jamp.city.added.v1") == 31


async def test_each_loaded_city_is_announced_on_the_proposals_topic(
    proposals: TestClient[Any, Any], settings: ServiceSettings
) -> None:
    records = await read_topic(settings, Topics(settings.topic_prefix).of("proposals"), 31)
    envelopes = [Envelope.from_bytes(record.value) for record in records]
    assert {envelope.type for envelope in envelopes} == {"jamp.city.added.v1"}
    assert {envelope.subject for envelope in envelopes} >= {"da-nang", "sihanoukville"}


async def test_an_admin_adds_a_city_once(proposals: TestClient[Any, Any], admin: Caller) -> None:
    response = await admin.post("/cities", NUSANTARA)
    assert response.status == 201
    assert response.headers["Location"] == "/cities/nusantara"
    assert (await response.json())["time_zone"] == "Asia/Makassar"
    assert len(await all_cities(admin)) == 32
    again = await admin.post("/cities", NUSANTARA)
    assert again.status == 409
    assert (await again.json())["field"] == "city_id"


async def test_the_city_and_its_event_name_the_admin_who_added_it(
    proposals: TestClient[Any, Any], settings: ServiceSettings
) -> None:
    kato = await person(proposals, "Director Kato", "admin")
    assert (await kato.caller.post("/cities", NUSANTARA)).status == 201
    by_kato = {
        "grant": "admin", "person_id": kato.person_id, "name": "Director Kato",
        "key_id": kato.caller.key_id,
    }  # fmt: skip
    outbox = create_client(settings.mongodb_uri)[settings.database_name("proposals")]["outbox"]
    try:
        added = await outbox_events(outbox, "jamp.city.added.v1")
        [event] = [e for e in added if e.subject == "nusantara"]
        assert (event.data["by"], event.data["by_person"]) == ("admin", by_kato)
        loaded = next(e for e in added if e.subject == "da-nang")  # the reference data
        assert loaded.data["by"] == "proposals"
        assert await stored(settings, "cities", _id="nusantara", added_by=by_kato) == 1
    finally:
        await outbox.database.client.close()


async def test_only_an_admin_adds_a_city(proposals: TestClient[Any, Any], operator: Caller) -> None:
    assert (await operator.post("/cities", NUSANTARA)).status == 403
    assert (await Caller(proposals, None).post("/cities", NUSANTARA)).status == 401


async def test_a_bad_city_is_refused_and_not_stored(
    admin: Caller, settings: ServiceSettings
) -> None:
    response = await admin.post("/cities", {**NUSANTARA, "country": "JP"})
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "body.country"
    assert await stored(settings, "cities") == 31


async def test_the_taxonomy_is_published(proposals: TestClient[Any, Any]) -> None:
    taxonomy = await (await Caller(proposals, None).get("/taxonomy")).json()
    assert "flood_control" in taxonomy["focus_areas"]["safety_security"]["tags"]
    assert taxonomy["stages"] == [
        "master_plan",
        "feasibility_study",
        "demonstration",
        "implementation",
    ]
    assert "join_investment" in taxonomy["financing"]
