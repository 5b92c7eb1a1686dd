"""Staff correct and reassign inquiries: officers are people, edits are conditional."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from shared.http.appkeys import KEYS
from tests.integration.inquiries.conftest import history_types, inquiry, submitted
from tests.support import Caller, granted, person


class TestAssigningPeople:
    async def test_an_officer_is_a_person_holding_a_grant_for_the_desk(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller
    ) -> None:
        sato = await person(inquiries, "Consul Sato", "desk:VN")
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        response = await vn_desk.post(
            f"/inquiries/{inquiry_id}/assign", {"officer": sato.person_id}
        )
        assigned = await response.json()
        assert response.status == 200, assigned
        assert (assigned["officer"], assigned["officer_name"]) == (sato.person_id, "Consul Sato")
        assert assigned["status"] == "assigned"

    async def test_a_person_without_a_grant_for_that_desk_is_a_422(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller
    ) -> None:
        somchai = await person(inquiries, "Somchai Thai", "desk:TH")
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        for officer in (somchai.person_id, "p-nobody"):
            response = await vn_desk.post(f"/inquiries/{inquiry_id}/assign", {"officer": officer})
            assert response.status == 422
            assert (await response.json())["errors"][0]["field"] == "body.officer"

    async def test_unassigning_puts_the_inquiry_back_in_its_queue(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller
    ) -> None:
        sato = await person(inquiries, "Consul Sato", "desk:VN")
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        await vn_desk.post(f"/inquiries/{inquiry_id}/assign", {"officer": sato.person_id})
        response = await vn_desk.post(f"/inquiries/{inquiry_id}/assign", {"officer": None})
        unassigned = await response.json()
        assert response.status == 200, unassigned
        assert (unassigned["officer"], unassigned["status"]) == (None, "triaged")

    async def test_an_unknown_queue_is_a_422(self, vn_desk: Caller) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        response = await vn_desk.post(f"/inquiries/{inquiry_id}/assign", {"queue": "nowhere"})
        assert response.status == 422
        assert (await response.json())["errors"][0]["field"] == "body.queue"

    async def test_assignee_me_lists_the_inquiries_of_the_person_holding_the_key(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller
    ) -> None:
        sato = await person(inquiries, "Consul Sato", "desk:VN")
        mine = (await submitted(vn_desk))["inquiry_id"]
        await submitted(vn_desk)
        await vn_desk.post(f"/inquiries/{mine}/assign", {"officer": sato.person_id})
        listed = await (await sato.caller.get("/inquiries", assignee="me")).json()
        assert [item["inquiry_id"] for item in listed["items"]] == [mine]
        anonymous = await vn_desk.get("/inquiries", assignee="me")  # a key with no person
        assert anonymous.status == 422

    async def test_two_keys_of_one_desk_are_told_apart_by_their_people(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller
    ) -> None:
        sato = await person(inquiries, "Consul Sato", "desk:VN")
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        await sato.caller.post(f"/inquiries/{inquiry_id}/notes", {"body": "Called the city."})
        history = await (await vn_desk.get(f"/inquiries/{inquiry_id}/history")).json()
        by = [entry["by"] for entry in history["items"]]
        # Two keys of one desk, told apart by their people and by the keys themselves.
        assert by[0] == {
            "grant": "desk:VN", "person_id": None, "name": "test desk:VN",
            "key_id": vn_desk.key_id,
        }  # fmt: skip
        assert by[-1] == {
            "grant": "desk:VN", "person_id": sato.person_id, "name": "Consul Sato",
            "key_id": sato.caller.key_id,
        }  # fmt: skip


class TestEditing:
    async def test_a_category_change_routes_again_and_lands_in_history(
        self, vn_desk: Caller
    ) -> None:
        created = await submitted(vn_desk)
        inquiry_id = created["inquiry_id"]
        response = await vn_desk.patch(
            f"/inquiries/{inquiry_id}",
            {"category": "financing", "subject": "Loans for smart parking"},
            headers={"If-Match": f'"{created["version"]}"'},
        )
        edited = await response.json()
        assert response.status == 200, edited
        assert edited["queue"] == "jbic-join-liaison"
        assert response.headers["ETag"] == f'"{edited["version"]}"'
        types = await history_types(vn_desk, inquiry_id)
        assert types[-2:] == ["updated", "triaged"]

    async def test_a_priority_change_gives_running_clocks_the_new_targets(
        self, vn_desk: Caller
    ) -> None:
        created = await submitted(vn_desk, priority="low")
        response = await vn_desk.patch(
            f"/inquiries/{created['inquiry_id']}", {"priority": "urgent"}, headers={"If-Match": "*"}
        )
        edited = await response.json()
        assert edited["clocks"]["first_response"]["target_minutes"] == 60
        assert edited["clocks"]["first_response"]["deadline"] == "2026-03-02T03:00:00Z"

    async def test_a_stale_or_missing_if_match_is_refused(self, vn_desk: Caller) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        stale = await vn_desk.patch(
            f"/inquiries/{inquiry_id}", {"priority": "high"}, headers={"If-Match": '"7"'}
        )
        assert stale.status == 409
        missing = await vn_desk.patch(f"/inquiries/{inquiry_id}", {"priority": "high"})
        assert missing.status == 428

    async def test_only_staff_move_an_inquiry_to_another_desk(
        self, vn_desk: Caller, operator: Caller
    ) -> None:
        organisation = {
            "kind": "organisation",
            "organisation": "ASEAN Business Council",
            "contact": {"name": "Lee", "email": "lee@example.org"},
        }
        created = await submitted(
            vn_desk, category="regulation_permits", requester=organisation, city=None
        )
        inquiry_id, star = created["inquiry_id"], {"If-Match": "*"}
        refused = await vn_desk.patch(f"/inquiries/{inquiry_id}", {"country": "TH"}, headers=star)
        assert refused.status == 403
        moved = await operator.patch(f"/inquiries/{inquiry_id}", {"country": "TH"}, headers=star)
        assert (await moved.json())["queue"] == "desk-th"

    async def test_a_move_to_another_desk_releases_an_officer_who_cannot_work_there(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller, operator: Caller
    ) -> None:
        sato = await person(inquiries, "Consul Sato", "desk:VN")
        tanaka = await person(inquiries, "Tanaka Both", "desk:VN", "desk:TH")
        organisation = {
            "kind": "organisation",
            "organisation": "ASEAN Business Council",
            "contact": {"name": "Lee", "email": "lee@example.org"},
        }
        moved: dict[str, dict[str, Any]] = {}
        for officer in (sato, tanaka):
            created = await submitted(
                vn_desk, category="regulation_permits", requester=organisation, city=None
            )
            inquiry_id = created["inquiry_id"]
            await vn_desk.post(f"/inquiries/{inquiry_id}/assign", {"officer": officer.person_id})
            response = await operator.patch(
                f"/inquiries/{inquiry_id}", {"country": "TH"}, headers={"If-Match": "*"}
            )
            assert response.status == 200, await response.text()
            moved[officer.name] = await response.json()

        released = moved["Consul Sato"]
        assert (released["officer"], released["officer_name"]) == (None, None)
        assert (released["status"], released["queue"]) == ("triaged", "desk-th")
        types = await history_types(operator, released["inquiry_id"])
        assert types[-3:] == ["triaged", "assigned", "status_changed"]
        kept = moved["Tanaka Both"]  # holds desk:TH too
        assert (kept["officer"], kept["status"]) == (tanaka.person_id, "assigned")
        mine = await (await tanaka.callers[1].get("/inquiries", assignee="me")).json()
        assert [item["inquiry_id"] for item in mine["items"]] == [kept["inquiry_id"]]

    @pytest.mark.parametrize("field", ["priority", "category", "country", "city", "subject"])
    async def test_a_field_set_to_null_is_a_422_and_nothing_changes(
        self, vn_desk: Caller, operator: Caller, field: str
    ) -> None:
        created = await submitted(vn_desk)
        inquiry_id = created["inquiry_id"]
        response = await operator.patch(
            f"/inquiries/{inquiry_id}", {field: None}, headers={"If-Match": "*"}
        )
        assert response.status == 422
        assert [error["field"] for error in (await response.json())["errors"]] == [f"body.{field}"]
        after = await (await vn_desk.get(f"/inquiries/{inquiry_id}")).json()
        assert after == created
        listed = await vn_desk.get("/inquiries")
        assert listed.status == 200

    async def test_a_subject_or_requester_of_more_than_one_line_is_a_422(
        self, vn_desk: Caller
    ) -> None:
        organisation = {
            "kind": "organisation",
            "organisation": "River Fund\nCountry: TH",
            "contact": {"name": "Lee\r\nBcc: eve@example.org", "email": "lee@example.org"},
        }
        refused = await vn_desk.post(
            "/inquiries", inquiry(requester=organisation, subject="Loans\nPriority: urgent")
        )
        assert refused.status == 422
        fields = {error["field"] for error in (await refused.json())["errors"]}
        assert fields == {
            "body.subject", "body.requester.organisation", "body.requester.contact.name"
        }  # fmt: skip
        created = await submitted(vn_desk)
        edited = await vn_desk.patch(
            f"/inquiries/{created['inquiry_id']}", {"subject": "Two\nlines"},
            headers={"If-Match": "*"},
        )  # fmt: skip
        assert (await edited.json())["errors"][0]["message"].startswith("one line of visible text")

    async def test_a_city_of_another_country_is_a_422(
        self, vn_desk: Caller, operator: Caller
    ) -> None:
        inquiry_id, star = (await submitted(vn_desk))["inquiry_id"], {"If-Match": "*"}
        foreign = await vn_desk.patch(f"/inquiries/{inquiry_id}", {"city": "bangkok"}, headers=star)
        assert (await foreign.json())["errors"][0]["field"] == "body.city"
        stranded = await operator.patch(f"/inquiries/{inquiry_id}", {"country": "TH"}, headers=star)
        assert stranded.status == 422
        assert (await stranded.json())["errors"][0]["field"] == "body.country"


async def test_the_requester_side_cannot_find_the_queue_or_officer_by_filtering(
    inquiries: TestClient[Any, Any], vn_desk: Caller
) -> None:
    sato = await person(inquiries, "Consul Sato", "desk:VN")
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]  # a da-nang city's inquiry
    await vn_desk.post(f"/inquiries/{inquiry_id}/assign", {"officer": sato.person_id})
    city = await granted(inquiries, "city:da-nang")
    assert [i["inquiry_id"] for i in (await (await city.get("/inquiries")).json())["items"]] == [
        inquiry_id
    ]
    for name, value in (("officer", sato.person_id), ("queue", "desk-vn")):
        refused = await city.get("/inquiries", **{name: value})
        assert refused.status == 422
        assert (await refused.json())["errors"][0]["field"] == f"query.{name}"
    found = await vn_desk.get("/inquiries", officer=sato.person_id)
    assert [i["inquiry_id"] for i in (await found.json())["items"]] == [inquiry_id]


async def test_an_officer_whose_registration_has_not_arrived_is_known_by_their_key(
    inquiries: TestClient[Any, Any], vn_desk: Caller
) -> None:
    """The person and their keys travel keyed by different ids, so on different partitions."""
    sato = await person(inquiries, "Consul Sato", "desk:VN")
    await inquiries.app[KEYS].people.delete_one({"_id": sato.person_id})
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    response = await vn_desk.post(f"/inquiries/{inquiry_id}/assign", {"officer": sato.person_id})
    assert (await response.json())["officer_name"] == "Consul Sato"
