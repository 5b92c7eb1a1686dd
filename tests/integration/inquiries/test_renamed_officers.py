"""A person's new name is the one the desk shows where it shows current state (the inquiry,
the report, a reply drafted for the requester); the history keeps the name each change was
made under."""

from datetime import UTC, datetime
from functools import partial
from typing import Any

from aiohttp.test_utils import TestClient

from services.inquiries.app import create_app
from services.inquiries.settings import InquirySettings
from shared.contracts.identity import Actor, PersonUpdated
from shared.http.appkeys import KEYS
from shared.mongo import transaction
from shared.platform import PLATFORM
from shared.settings import ServiceSettings
from tests.integration.inquiries.conftest import ManualClock, submitted
from tests.integration.streams import Publisher
from tests.support import Caller, Person, eventually, person, serving

LEAD = Actor(grant="admin", person_id="p-lead", name="Desk lead")


def renamed(someone: Person, name: str) -> PersonUpdated:
    return PersonUpdated(
        person_id=someone.person_id, name=name, email="sato@example.org", language="en",
        time_zone="Asia/Tokyo", updated_at=datetime.now(UTC), changed=["name"],
        by="admin", by_person=LEAD,
    )  # fmt: skip


async def _assigned_to(caller: Caller, someone: Person) -> str:
    inquiry_id: str = (await submitted(caller))["inquiry_id"]
    response = await caller.post(f"/inquiries/{inquiry_id}/assign", {"officer": someone.person_id})
    assert response.status == 200, await response.text()
    return inquiry_id


async def _officer_name(caller: Caller, inquiry_id: str) -> str | None:
    shown = await (await caller.get(f"/inquiries/{inquiry_id}")).json()
    name: str | None = shown["officer_name"]
    return name


async def test_a_renamed_officer_is_shown_by_the_new_name_and_remembered_by_the_old(
    inquiries: TestClient[Any, Any], publish: Publisher, vn_desk: Caller
) -> None:
    sato = await person(inquiries, "Consul Sato", "desk:VN")
    inquiry_id = await _assigned_to(vn_desk, sato)
    closed = await _assigned_to(vn_desk, sato)
    assert (await vn_desk.post(f"/inquiries/{closed}/close", {})).status == 200
    template = {"name": "Who answers", "texts": {"en": "{officer} will answer."}}
    created = await (await vn_desk.post("/answer-templates", template)).json()

    await publish.send(sato.person_id, renamed(sato, "Sato Haruki"))

    async def followed() -> bool:
        return await _officer_name(vn_desk, inquiry_id) == "Sato Haruki"

    await eventually(followed, timeout=30)
    assert await _officer_name(vn_desk, closed) == "Sato Haruki"
    report = await (await vn_desk.get("/reports/inquiries", group_by="officer")).json()
    assert [(row["officer"], row["officer_name"]) for row in report["rows"]] == [
        (sato.person_id, "Sato Haruki")
    ]
    draft = await vn_desk.post(
        f"/inquiries/{inquiry_id}/replies/draft", {"template_id": created["template_id"]}
    )
    assert (await draft.json())["text"] == "Sato Haruki will answer."
    history = (await (await vn_desk.get(f"/inquiries/{inquiry_id}/history")).json())["items"]
    [assigned] = [entry for entry in history if entry["type"] == "jamp.inquiry.assigned.v1"]
    assert assigned["data"]["officer_name"] == "Consul Sato"


async def test_a_rename_read_before_inquiries_followed_renames_is_shown_after_a_restart(
    inquiries: TestClient[Any, Any],
    settings: ServiceSettings,
    inquiry_settings: InquirySettings,
    clock: ManualClock,
    vn_desk: Caller,
) -> None:
    sato = await person(inquiries, "Consul Sato", "desk:VN")
    inquiry_id = await _assigned_to(vn_desk, sato)
    # As a replica before this version kept the rename: the person, not their inquiries.
    async with transaction(inquiries.app[PLATFORM].mongo) as session:
        await inquiries.app[KEYS].record_person_updated(renamed(sato, "Sato Haruki"), session)
    assert await _officer_name(vn_desk, inquiry_id) == "Consul Sato"

    restarted = partial(create_app, inquiry_settings=inquiry_settings, clock=clock)
    async with serving(restarted, settings) as client:
        again = Caller(client, vn_desk.key)
        assert await _officer_name(again, inquiry_id) == "Sato Haruki"
