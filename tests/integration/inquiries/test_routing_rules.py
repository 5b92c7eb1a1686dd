"""Admins edit the triage rules; new inquiries follow them at once."""

from shared.settings import ServiceSettings
from tests.integration.inquiries.conftest import submitted
from tests.support import Caller, command_log


async def with_queue(admin: Caller, name: str) -> None:
    """Add a queue to the managed list (routing rules may name only listed queues)."""
    current = await (await admin.get("/queues")).json()
    current["queues"].append({"name": name})
    assert (await admin.put("/queues", current)).status == 200


TH_LOANS = {
    "rules": [
        {"name": "vn loans", "category": "financing", "country": "VN", "queue": "hanoi-finance"},
        {"name": "loans", "category": "financing", "queue": "jbic-join-liaison"},
    ],
    "version": 0,
}


async def test_the_defaults_route_by_category_and_fall_back_to_the_country_desk(
    vn_desk: Caller,
) -> None:
    rules = await (await vn_desk.get("/routing-rules")).json()
    assert rules["version"] == 0
    queues = {
        category: (await submitted(vn_desk, category=category))["queue"]
        for category in ("project_formation", "partner_search", "regulation_permits")
    }
    assert queues == {
        "project_formation": "mlit-smart-jamp",
        "partner_search": "matching",
        "regulation_permits": "desk-vn",
    }


async def test_an_admin_replaces_the_rules_and_they_apply_to_new_inquiries(
    vn_desk: Caller, admin: Caller
) -> None:
    await with_queue(admin, "hanoi-finance")
    response = await admin.put("/routing-rules", TH_LOANS)
    assert response.status == 200
    assert (await response.json())["version"] == 1
    created = await submitted(vn_desk, category="financing")
    assert created["queue"] == "hanoi-finance"
    history = await (await vn_desk.get(f"/inquiries/{created['inquiry_id']}/history")).json()
    triaged = [e for e in history["items"] if e["type"] == "jamp.inquiry.triaged.v1"]
    assert triaged[0]["data"]["rule"] == "vn loans"


async def test_a_submission_reads_its_rules_and_calendar_before_its_transaction(
    settings: ServiceSettings, vn_desk: Caller, admin: Caller
) -> None:
    await with_queue(admin, "hanoi-finance")
    assert (await admin.put("/routing-rules", TH_LOANS)).status == 200
    log = command_log(settings.database_name("inquiries"))
    created = await submitted(vn_desk, category="financing")
    assert created["queue"] == "hanoi-finance"  # the rules saved just before apply
    reads = log.sent("find", "routing_rules") + log.sent("find", "calendars")
    assert len(reads) == 2
    # The transaction's statements carry autocommit=false; these two reads are not among them.
    assert [read for read in reads if "autocommit" in read] == []
    [inserted] = log.inserted("inquiries")
    assert inserted["autocommit"] is False


async def test_a_stale_version_conflicts_and_only_admins_edit(
    vn_desk: Caller, admin: Caller
) -> None:
    await with_queue(admin, "hanoi-finance")
    assert (await admin.put("/routing-rules", TH_LOANS)).status == 200
    stale = await admin.put("/routing-rules", TH_LOANS)
    assert stale.status == 409
    assert (await stale.json())["current_version"] == 1
    assert (await vn_desk.put("/routing-rules", TH_LOANS)).status == 403
    bad = await admin.put("/routing-rules", {"rules": [{"name": "x", "queue": "A B"}]})
    assert (await bad.json())["errors"][0]["field"] == "body.rules.0.queue"


async def test_a_shadowed_or_duplicate_rule_is_refused_naming_the_rule_that_shadows_it(
    admin: Caller,
) -> None:
    shadowed = {
        "rules": [
            {"name": "all loans", "category": "financing", "queue": "jbic-join-liaison"},
            {"name": "vn loans", "category": "financing", "country": "VN", "queue": "desk-vn"},
        ]
    }
    response = await admin.put("/routing-rules", shadowed)
    assert response.status == 422
    error = (await response.json())["errors"][0]
    assert error["field"] == "body.rules" and "'all loans'" in error["message"]
    twice = {"rules": [shadowed["rules"][1], {**shadowed["rules"][1], "name": "again"}]}
    assert (await admin.put("/routing-rules", twice)).status == 422


async def test_rule_and_calendar_changes_are_audited_with_before_and_after(
    admin: Caller, operator: Caller
) -> None:
    await with_queue(admin, "hanoi-finance")
    assert (await admin.put("/routing-rules", TH_LOANS)).status == 200
    calendar = {"time_zone": "Asia/Ho_Chi_Minh", "holidays": ["2026-09-02"]}
    assert (await admin.put("/calendars/VN", calendar)).status == 200
    changes = (await (await operator.get("/configuration/history")).json())["items"]
    assert [c["setting"] for c in changes] == ["calendar", "routing_rules", "queues"]
    calendar_change, rules_change = changes[0], changes[1]
    assert calendar_change["key"] == "VN" and calendar_change["before"]["holidays"] == []
    assert calendar_change["after"]["holidays"] == ["2026-09-02"]
    assert rules_change["before"]["version"] == 0 and rules_change["after"]["version"] == 1
    assert rules_change["by_person"] == {
        "grant": "admin", "person_id": None, "name": "test admin", "key_id": admin.key_id
    }  # fmt: skip
