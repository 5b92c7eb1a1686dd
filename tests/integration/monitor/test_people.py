"""The admin API of people: a person and their keys, on the identity stream, in audits."""

from typing import Any

from aiohttp.test_utils import TestClient

from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.monitor.test_event_index import register
from tests.support import Caller, eventually, read_topic

SATO = {"name": "Consul Sato", "email": "sato@example.go.jp", "grants": ["operator"]}


async def test_an_admin_registers_a_person_whose_key_works_and_names_them(
    monitor: TestClient[Any, Any], admin: Caller, settings: ServiceSettings
) -> None:
    response = await admin.post("/api/people", SATO)
    created = await response.json()
    assert response.status == 201, created
    person_id = created["person"]["person_id"]
    [key] = created["keys"]
    assert key["grant"] == "operator"
    sato = Caller(monitor, key["api_key"])
    assert (await sato.get("/api/audit")).status == 200  # the key works at once here
    listed = (await (await sato.get("/api/people")).json())["items"]
    assert [(p["person_id"], p["grants"]) for p in listed] == [(person_id, ["operator"])]
    assert listed[0]["email"] == "***"  # an operator reads no one's address
    in_full = (await (await admin.get("/api/people")).json())["items"]
    assert in_full[0]["email"] == SATO["email"]
    records = await read_topic(settings, Topics(settings.topic_prefix).of("identity"), 2)
    envelopes = [Envelope.from_bytes(record.value) for record in records]
    assert {e.type for e in envelopes} == {"jamp.person.registered.v1", "jamp.apikey.issued.v1"}
    # Who registered them and issued the key: the admin and the key they used, on every
    # event and in the audit.
    admin_is = {"grant": "admin", "person_id": None, "name": "test admin", "key_id": admin.key_id}
    assert [(e.data["by"], e.data["by_person"]) for e in envelopes] == [("admin", admin_is)] * 2
    [registered] = (await (await admin.get("/api/audit")).json())["items"]
    assert (registered["action"], registered["target"]) == ("person.register", person_id)
    assert (registered["by"], registered["details"]["grants"]) == (admin_is, ["operator"])
    threshold = {"max_lag": 10, "max_age_seconds": 60}
    assert (await sato.put("/api/thresholds/some-group", threshold)).status == 200
    audit = await eventually(lambda: _audit(sato))
    assert audit[0]["by"] == {
        "grant": "operator",
        "person_id": person_id,
        "name": "Consul Sato",
        "key_id": key["key_id"],
    }


async def test_a_person_without_an_email_or_with_a_bad_grant_is_a_422(
    admin: Caller, operator: Caller
) -> None:
    no_email = await admin.post("/api/people", {"name": "Sato", "grants": ["operator"]})
    assert (await no_email.json())["errors"][0]["field"] == "body.email"
    bad_grant = await admin.post("/api/people", {**SATO, "grants": ["desk:FR"]})
    assert (await bad_grant.json())["errors"][0]["field"] == "body.grants"
    for field, value in (("time_zone", "localtime"), ("time_zone", "Factory"), ("name", "\u200b")):
        odd = await admin.post("/api/people", {**SATO, field: value})
        assert (odd.status, (await odd.json())["errors"][0]["field"]) == (422, f"body.{field}")
    twice = await admin.post("/api/people", {**SATO, "grants": ["admin", "admin"]})
    assert (twice.status, (await twice.json())["errors"][0]["field"]) == (422, "body.grants")
    assert (await operator.post("/api/people", SATO)).status == 403


async def _audit(caller: Caller) -> list[dict[str, Any]] | None:
    items: list[dict[str, Any]] = (await (await caller.get("/api/audit")).json())["items"]
    return items or None


async def test_an_admin_changes_a_persons_details_and_the_identity_stream_says_so(
    admin: Caller, operator: Caller, settings: ServiceSettings
) -> None:
    created = await (await admin.post("/api/people", SATO)).json()
    person_id = created["person"]["person_id"]
    change = {"email": "sato@hanoi.example.go.jp", "language": "ja"}
    response = await admin.patch(f"/api/people/{person_id}", change)
    changed = await response.json()
    assert response.status == 200, changed
    assert (changed["email"], changed["language"], changed["name"]) == (
        "sato@hanoi.example.go.jp", "ja", "Consul Sato",
    )  # fmt: skip
    assert changed["grants"] == ["operator"]
    listed = (await (await admin.get("/api/people")).json())["items"]
    assert [p["email"] for p in listed if p["person_id"] == person_id] == [change["email"]]
    records = await read_topic(settings, Topics(settings.topic_prefix).of("identity"), 3)
    updates = [
        e for r in records if (e := Envelope.from_bytes(r.value)).type.endswith("updated.v1")
    ]
    [update] = updates
    assert update.subject == person_id
    assert update.data["changed"] == ["email", "language"]
    assert update.data["by_person"]["grant"].startswith("admin")
    # A changed address redirects the person's mail: the audit keeps what it was and who
    # changed it; an operator reads the addresses masked.
    entry = (await (await admin.get("/api/audit")).json())["items"][0]
    assert (entry["action"], entry["target"], entry["by"]["key_id"]) == (
        "person.update", person_id, admin.key_id,
    )  # fmt: skip
    assert entry["details"] == {
        "email": {"before": SATO["email"], "after": change["email"]},
        "language": {"before": "en", "after": "ja"},
    }
    masked = (await (await operator.get("/api/audit")).json())["items"][0]
    assert "sato@example.go.jp" not in str(masked) and change["email"] not in str(masked)
    unchanged = await admin.patch(f"/api/people/{person_id}", {"language": "ja"})
    assert unchanged.status == 200  # the same details again: nothing to audit
    assert len((await (await admin.get("/api/audit")).json())["items"]) == 2


async def test_a_change_of_an_unknown_person_is_a_404_and_a_bad_email_a_422(
    admin: Caller, operator: Caller
) -> None:
    person_id = (await (await admin.post("/api/people", SATO)).json())["person"]["person_id"]
    bad = await admin.patch(f"/api/people/{person_id}", {"email": "not-an-address"})
    assert bad.status == 422
    assert (await bad.json())["errors"][0]["field"] == "body.email"
    assert (await admin.patch("/api/people/p-nobody", {"language": "ja"})).status == 404
    empty = await admin.patch(f"/api/people/{person_id}", {})  # a lost body is not a no-op
    assert empty.status == 422
    assert (await empty.json())["errors"][0]["field"] == "body"
    assert (await operator.patch(f"/api/people/{person_id}", {"language": "ja"})).status == 403


async def test_a_renamed_persons_next_change_is_recorded_under_the_new_name(
    monitor: TestClient[Any, Any], admin: Caller
) -> None:
    created = await (await admin.post("/api/people", SATO)).json()
    person_id, [key] = created["person"]["person_id"], created["keys"]
    renamed = await admin.patch(f"/api/people/{person_id}", {"name": "Consul Sato Haruka"})
    assert renamed.status == 200, await renamed.text()
    sato = Caller(monitor, key["api_key"])
    threshold = {"max_lag": 10, "max_age_seconds": 60}
    assert (await sato.put("/api/thresholds/some-group", threshold)).status == 200
    audit = await eventually(lambda: _audit(sato))
    assert audit[0]["by"]["name"] == "Consul Sato Haruka"


async def test_a_company_or_city_key_goes_only_to_one_the_desk_has_told_of(
    admin: Caller, client: TestClient[Any, Any]
) -> None:
    """A key for an id nothing registered would be a key for a company someone registers
    later under that id's name, or for nothing at all."""
    ghosts = [["company:c-nobody"], ["operator", "city:atlantis"]]
    for grants in ghosts:
        refused = await admin.post("/api/people", {**SATO, "grants": grants})
        assert refused.status == 422
        assert (await refused.json())["errors"][0]["field"] == f"body.grants.{len(grants) - 1}"
    assert (await (await admin.get("/api/people")).json())["items"] == []  # nothing written
    company_id = await register(client)

    async def employee_added() -> dict[str, Any] | None:
        added = await admin.post("/api/people", {**SATO, "grants": [f"company:{company_id}"]})
        return await added.json() if added.status == 201 else None

    created = await eventually(employee_added)  # once the monitor has read its registration
    assert [key["grant"] for key in created["keys"]] == [f"company:{company_id}"]


class TestRevoking:
    async def test_an_admin_revokes_one_grant_and_the_person_keeps_the_others(
        self, monitor: TestClient[Any, Any], admin: Caller, settings: ServiceSettings
    ) -> None:
        created = await (await admin.post("/api/people", {**SATO, "grants": _TWO})).json()
        person_id = created["person"]["person_id"]
        operator_key, desk_key = (Caller(monitor, key["api_key"]) for key in created["keys"])
        reason = "moved to the Bangkok embassy"
        response = await admin.post(
            f"/api/people/{person_id}/revoke", {"reason": reason, "grants": ["desk:VN"]}
        )
        assert response.status == 200, await response.text()
        assert (await response.json())["grants"] == ["operator"]
        assert (await desk_key.get("/api/people")).status == 401
        assert (await operator_key.get("/api/people")).status == 200
        listed = (await (await admin.get("/api/people")).json())["items"]
        assert [person["grants"] for person in listed] == [["operator"]]
        [revoked] = [
            envelope
            for envelope in map(
                Envelope.from_bytes,
                (r.value for r in await read_topic(settings, _identity(settings), 4)),
            )
            if envelope.type == "jamp.apikey.revoked.v1"
        ]
        desk_key_id = created["keys"][1]["key_id"]
        assert (revoked.data["key_id"], revoked.data["reason"]) == (desk_key_id, reason)
        assert revoked.data["by_person"]["key_id"] == admin.key_id
        [entry, _] = (await (await admin.get("/api/audit")).json())["items"]
        assert (entry["action"], entry["target"]) == ("person.revoke", person_id)
        assert entry["details"] == {
            "key_ids": [desk_key_id], "grants": ["desk:VN"], "reason": reason,
        }  # fmt: skip

    async def test_revoking_every_key_deactivates_the_person_once(
        self, monitor: TestClient[Any, Any], admin: Caller, operator: Caller
    ) -> None:
        created = await (await admin.post("/api/people", {**SATO, "grants": _TWO})).json()
        person_id = created["person"]["person_id"]
        path = f"/api/people/{person_id}/revoke"
        assert (await operator.post(path, {"reason": "left"})).status == 403
        gone = await admin.post(path, {"reason": "left the embassy"})
        assert (gone.status, (await gone.json())["grants"]) == (200, [])
        for key in created["keys"]:
            assert (await Caller(monitor, key["api_key"]).get("/api/people")).status == 401
        again = await admin.post(path, {"reason": "left the embassy"})
        assert again.status == 409  # nothing left to revoke: not a second set of events
        assert len((await (await admin.get("/api/audit")).json())["items"]) == 2

    async def test_an_unknown_person_a_grant_not_held_or_no_reason_is_refused(
        self, admin: Caller
    ) -> None:
        created = await (await admin.post("/api/people", SATO)).json()
        path = f"/api/people/{created['person']['person_id']}/revoke"
        assert (await admin.post("/api/people/p-nobody/revoke", {"reason": "x"})).status == 404
        for body, field in (
            ({"reason": "x", "grants": ["operator", "desk:VN"]}, "body.grants.1"),
            ({"reason": " "}, "body.reason"),
            ({"grants": ["operator"]}, "body.reason"),
            ({"reason": "x", "grants": []}, "body.grants"),
        ):
            refused = await admin.post(path, body)
            assert refused.status == 422, body
            assert (await refused.json())["errors"][0]["field"] == field, body
        # Nothing was revoked by any of them.
        assert (await (await admin.get("/api/people")).json())["items"][0]["grants"] == ["operator"]

    async def test_an_admin_does_not_revoke_their_own_admin_key(
        self, monitor: TestClient[Any, Any], admin: Caller
    ) -> None:
        grants = ["admin", "operator"]
        created = await (await admin.post("/api/people", {**SATO, "grants": grants})).json()
        person_id = created["person"]["person_id"]
        themselves = Caller(monitor, created["keys"][0]["api_key"])
        path = f"/api/people/{person_id}/revoke"
        own = await themselves.post(path, {"reason": "leaving"})
        assert own.status == 409
        # Their other keys they may give up; another admin may take the admin key.
        assert (await themselves.post(path, {"reason": "x", "grants": ["operator"]})).status == 200
        assert (await admin.post(path, {"reason": "left"})).status == 200


_TWO = ["operator", "desk:VN"]


def _identity(settings: ServiceSettings) -> str:
    return Topics(settings.topic_prefix).of("identity")
