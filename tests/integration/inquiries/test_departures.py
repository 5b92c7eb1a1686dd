"""A person whose last key for a desk is revoked leaves it, as a deactivated helpdesk agent
does: their open inquiries of that desk go back to the queue unassigned, they come off the
queues they may no longer staff, and the desk's other work of theirs stays as it was."""

from datetime import UTC, datetime
from functools import partial
from typing import Any

from aiohttp.test_utils import TestClient

from services.inquiries.administration.departures import release_the_departed
from services.inquiries.app import create_app
from services.inquiries.keys import DESK
from services.inquiries.settings import InquirySettings
from shared.contracts.identity import Actor, ApiKeyRevoked
from shared.http.appkeys import KEYS
from shared.mongo import transaction
from shared.platform import PLATFORM
from shared.settings import ServiceSettings
from tests.integration.inquiries.conftest import THAI, ManualClock, submitted
from tests.integration.streams import Publisher
from tests.support import Caller, Person, eventually, person, serving

LEAD = Actor(grant="admin", person_id="p-lead", name="Desk lead")


async def _staffed(admin: Caller, people: dict[str, dict[str, Any]]) -> None:
    queues = await (await admin.get("/queues")).json()
    queues["queues"] = [{**queue, **people.get(queue["name"], {})} for queue in queues["queues"]]
    saved = await admin.put("/queues", queues)
    assert saved.status == 200, await saved.text()


async def _queue(caller: Caller, name: str) -> dict[str, Any]:
    queues = (await (await caller.get("/queues")).json())["queues"]
    found: dict[str, Any] = next(queue for queue in queues if queue["name"] == name)
    return found


async def _assigned(by: Caller, officer: Person, **overrides: Any) -> str:
    inquiry_id: str = (await submitted(by, **overrides))["inquiry_id"]
    response = await by.post(f"/inquiries/{inquiry_id}/assign", {"officer": officer.person_id})
    assert response.status == 200, await response.text()
    return inquiry_id


async def _revoked(publish: Publisher, key_id: str | None) -> None:
    assert key_id is not None
    revoked = ApiKeyRevoked(
        key_id=key_id, revoked_at=datetime.now(UTC), reason="left the embassy",
        by="admin", by_person=LEAD,
    )  # fmt: skip
    await publish.send(key_id, revoked)


async def _officer(caller: Caller, inquiry_id: str) -> dict[str, Any]:
    shown: dict[str, Any] = await (await caller.get(f"/inquiries/{inquiry_id}")).json()
    return shown


async def test_a_revoked_desk_key_releases_its_holders_inquiries_and_queue_places(
    inquiries: TestClient[Any, Any], publish: Publisher, admin: Caller, th_desk: Caller
) -> None:
    tanaka = await person(inquiries, "Tanaka Ken", "desk:VN", "desk:TH")
    sato = await person(inquiries, "Consul Sato", "desk:VN")
    vn_key, th_key = tanaka.callers
    await _staffed(admin, {
        "desk-vn": {"members": [tanaka.person_id, sato.person_id], "supervisor": tanaka.person_id},
        "desk-th": {"members": [tanaka.person_id]},
        "matching": {"members": [tanaka.person_id]},
    })  # fmt: skip
    open_vn = await _assigned(sato.caller, tanaka)
    closed_vn = await _assigned(sato.caller, tanaka)
    assert (await sato.caller.post(f"/inquiries/{closed_vn}/close", {})).status == 200
    thai = await _assigned(th_desk, tanaka, **THAI)

    await _revoked(publish, vn_key.key_id)

    async def released() -> bool:
        return (await _officer(admin, open_vn))["officer"] is None

    await eventually(released, timeout=30)
    shown = await _officer(admin, open_vn)
    assert (shown["status"], shown["officer_name"]) == ("triaged", None)
    history = (await (await admin.get(f"/inquiries/{open_vn}/history")).json())["items"]
    assigned, moved = history[-2:]
    assert (assigned["data"]["officer"], assigned["by"]["name"]) == (None, "Desk lead")
    assert (moved["data"]["to_status"], moved["by"]["name"]) == ("triaged", "Desk lead")
    assert moved["data"]["reason"] == "its officer no longer holds a key for this desk"
    # He is off the desk's queue, as member and supervisor; his other desk keeps him.
    desk_vn = await _queue(admin, "desk-vn")
    assert (desk_vn["members"], desk_vn["supervisor"]) == ([sato.person_id], None)
    assert (await _queue(admin, "desk-th"))["members"] == [tanaka.person_id]
    assert (await _queue(admin, "matching"))["members"] == [tanaka.person_id]
    changes = await (await admin.get("/configuration/history", setting="queues")).json()
    assert changes["items"][0]["by_person"]["name"] == "Desk lead"
    # A closed inquiry keeps who answered it; his Thai inquiry is still his.
    assert (await _officer(admin, closed_vn))["officer"] == tanaka.person_id
    assert (await _officer(admin, thai))["officer"] == tanaka.person_id

    await _revoked(publish, th_key.key_id)  # his last key: no queue keeps him

    async def gone() -> bool:
        return (await _officer(admin, thai))["officer"] is None

    await eventually(gone, timeout=30)
    assert (await _queue(admin, "desk-th"))["members"] == []
    assert (await _queue(admin, "matching"))["members"] == []
    assert (await _queue(admin, "desk-vn"))["members"] == [sato.person_id]


async def test_a_departure_the_service_never_applied_is_applied_at_its_start(
    inquiries: TestClient[Any, Any],
    settings: ServiceSettings,
    inquiry_settings: InquirySettings,
    clock: ManualClock,
    admin: Caller,
    th_desk: Caller,
) -> None:
    """Before revocations released anyone, a revoked key was only marked revoked: its holder
    kept their queue places and open inquiries. The next start applies that departure."""
    tanaka = await person(inquiries, "Tanaka Ken", "desk:VN", "desk:TH")
    sato = await person(inquiries, "Consul Sato", "desk:VN")
    await _staffed(admin, {
        "desk-vn": {"members": [tanaka.person_id, sato.person_id], "supervisor": tanaka.person_id},
        "desk-th": {"members": [tanaka.person_id]},
    })  # fmt: skip
    open_vn = await _assigned(sato.caller, tanaka)
    thai = await _assigned(th_desk, tanaka, **THAI)
    vn_key = tanaka.callers[0].key_id
    assert vn_key is not None
    replica = inquiries.app[KEYS]
    async with transaction(inquiries.app[PLATFORM].mongo) as session:  # as the old code did
        revoked = ApiKeyRevoked(key_id=vn_key, revoked_at=datetime.now(UTC), reason="left")
        await replica.record_revoked(revoked, session)
    assert (await _queue(admin, "desk-vn"))["supervisor"] == tanaka.person_id

    started_again = partial(create_app, inquiry_settings=inquiry_settings, clock=clock)
    async with serving(started_again, settings) as restarted:
        staff = Caller(restarted, admin.key)
        shown = await _officer(staff, open_vn)
        assert (shown["officer"], shown["status"]) == (None, "triaged")
        history = (await (await staff.get(f"/inquiries/{open_vn}/history")).json())["items"]
        assert history[-1]["by"]["name"] == "inquiries:departures"
        desk_vn = await _queue(staff, "desk-vn")
        assert (desk_vn["members"], desk_vn["supervisor"]) == ([sato.person_id], None)
        assert (await _queue(staff, "desk-th"))["members"] == [tanaka.person_id]
        assert (await _officer(staff, thai))["officer"] == tanaka.person_id
        assert await release_the_departed(restarted.app[DESK]) == []  # once is enough
