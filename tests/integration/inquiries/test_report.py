"""The desk report over a period, per country, category, queue, officer, priority or tag:
counts, business-minute medians and 90th percentiles, SLA attainment, reopen rate,
satisfaction; JSON and monthly CSV."""

import csv
import io
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from shared.settings import ServiceSettings
from tests.integration.inquiries.conftest import THAI, ManualClock, submitted
from tests.support import Caller, command_log, person


async def test_counts_medians_and_attainment_per_country_and_category(
    vn_desk: Caller, th_desk: Caller, operator: Caller, clock: ManualClock
) -> None:
    fast = (await submitted(vn_desk, category="financing"))["inquiry_id"]
    slow = (await submitted(vn_desk, category="financing"))["inquiry_id"]
    await submitted(th_desk, **THAI, category="events")
    clock.advance(minutes=30)
    await operator.post(f"/inquiries/{fast}/replies", {"body": "Answer."})
    clock.advance(minutes=60)
    await operator.post(f"/inquiries/{slow}/replies", {"body": "Answer."})
    await operator.post(f"/inquiries/{fast}/close", {})

    report = await (await operator.get("/reports/inquiries")).json()
    rows = {(row["country"], row["category"]): row for row in report["rows"]}
    financing = rows[("VN", "financing")]
    assert (financing["total"], financing["open"], financing["closed"]) == (2, 1, 1)
    assert financing["median_first_response_minutes"] == 60.0  # of 30 and 90
    assert financing["median_resolution_minutes"] == 90.0
    assert (financing["sla_met"], financing["sla_breached"]) == (3, 0)
    assert financing["sla_attainment"] == 1.0
    assert rows[("TH", "events")]["median_first_response_minutes"] is None


async def test_the_report_reads_the_inquiries_without_their_search_terms(
    settings: ServiceSettings, vn_desk: Caller, operator: Caller
) -> None:
    """Search terms are often most of a stored inquiry, and no report figure needs them."""
    await submitted(vn_desk, category="financing")
    log = command_log(settings.database_name("inquiries"))
    report = await (await operator.get("/reports/inquiries")).json()
    assert [row["total"] for row in report["rows"]] == [1]
    # The SLA tick may ask meanwhile which inquiries are due; it reads their ids alone.
    [read] = [
        command
        for command in log.sent("find", "inquiries")
        if command.get("projection") != {"_id": True}
    ]
    left_out = {"search_terms", "reply_terms", "note_terms", "requester_terms"}
    assert read["projection"] == dict.fromkeys(left_out, 0)


async def test_the_report_as_csv_and_a_desk_sees_only_its_country(
    vn_desk: Caller, th_desk: Caller
) -> None:
    await submitted(vn_desk)
    await submitted(th_desk, **THAI)
    response = await vn_desk.get("/reports/inquiries", format="csv")
    assert response.status == 200
    assert response.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [(row["country"], row["total"]) for row in rows] == [("VN", "1")]
    accepted = await vn_desk.client.get(
        "/reports/inquiries",
        headers={"Authorization": f"Bearer {vn_desk.key}", "Accept": "text/csv"},
    )
    assert accepted.content_type == "text/csv"
    assert (await vn_desk.get("/reports/inquiries", country="TH")).status == 403


async def test_a_hand_built_month_of_the_vn_desk_in_exact_figures(
    inquiries: TestClient[Any, Any],
    vn_desk: Caller,
    th_desk: Caller,
    operator: Caller,
    clock: ManualClock,
) -> None:
    sato = await person(inquiries, "Consul Sato", "desk:VN")
    quick = (await submitted(vn_desk, category="financing", priority="high"))["inquiry_id"]
    reopened = (await submitted(vn_desk, category="financing"))["inquiry_id"]
    await submitted(th_desk, **THAI, category="events")
    await vn_desk.post(f"/inquiries/{quick}/assign", {"officer": sato.person_id})
    clock.advance(minutes=30)
    await sato.caller.post(f"/inquiries/{quick}/replies", {"body": "Answer."})
    clock.advance(minutes=60)
    await operator.post(f"/inquiries/{reopened}/replies", {"body": "Answer."})
    for inquiry_id in (quick, reopened):
        assert (await operator.post(f"/inquiries/{inquiry_id}/close", {})).status == 200
    assert (await vn_desk.post(f"/inquiries/{quick}/rating", {"rating": 4})).status == 201
    assert (await vn_desk.post(f"/inquiries/{reopened}/reopen", {})).status == 200
    clock.advance(minutes=60)
    assert (await operator.post(f"/inquiries/{reopened}/close", {})).status == 200
    clock.now = datetime(2026, 4, 6, 2, 0, tzinfo=UTC)  # Monday 6 April, 09:00 in Hanoi
    await submitted(vn_desk, category="events")
    tags = {"tags": [{"name": "flood"}, {"name": "jbic"}], "version": 0}
    assert (await vn_desk.put("/tags/VN", tags)).status == 200
    tagged = await vn_desk.post(f"/inquiries/{quick}/tags", {"add": ["flood", "jbic"]})
    assert tagged.status == 200, await tagged.text()

    march = {"from": "2026-03-01", "to": "2026-03-31"}
    report = await (await vn_desk.get("/reports/inquiries", **march, group_by="country")).json()
    assert (report["period_from"], report["period_to"], report["interval"]) == (
        "2026-03-01",
        "2026-03-31",
        "period",
    )
    [vietnam] = report["rows"]
    assert {k: v for k, v in vietnam.items() if v is not None} == {
        "country": "VN",
        "total": 2,
        "open": 0,
        "closed": 2,
        "median_first_response_minutes": 60.0,  # of 30 and 90
        "p90_first_response_minutes": 90.0,
        "median_resolution_minutes": 120.0,  # of 90 and 150 (to the closure after reopening)
        "p90_resolution_minutes": 150.0,
        "sla_met": 4,  # both first replies, one resolution, and the reopened one's again
        "sla_breached": 0,
        "sla_attainment": 1.0,
        "reopened": 1,
        "reopen_rate": 0.5,
        "satisfaction_ratings": 1,
        "satisfaction_average": 4.0,
    }
    every = await (await operator.get("/reports/inquiries", group_by="country")).json()
    assert [(row["country"], row["total"]) for row in every["rows"]] == [("TH", 1), ("VN", 3)]

    by_officer = await (await vn_desk.get("/reports/inquiries", group_by="officer")).json()
    assert [(r["officer"], r["officer_name"], r["total"]) for r in by_officer["rows"]] == [
        (sato.person_id, "Consul Sato", 1),
        (None, None, 2),
    ]
    monthly = await vn_desk.get("/reports/inquiries", group_by=["tag", "priority"], format="csv")
    assert monthly.content_type == "text/csv"
    lines = list(csv.DictReader(io.StringIO(await monthly.text())))
    assert [(r["month"], r["tag"], r["priority"], r["total"]) for r in lines] == [
        ("2026-03", "flood", "high", "1"),
        ("2026-03", "jbic", "high", "1"),
        ("2026-03", "", "normal", "1"),
        ("2026-04", "", "normal", "1"),
    ]


async def test_bad_report_parameters_are_named(vn_desk: Caller) -> None:
    for params, field in (
        ({"from": "2026-02-30"}, "query.from"),
        ({"to": "0"}, "query.to"),  # a number is not a day, though lax parsing would say 1970
        ({"to": "9999-12-31"}, "query.to"),  # inclusive: the day after is past the calendar
        ({"from": "2026-03-02", "to": "2026-03-01"}, "query.to"),
        ({"group_by": "colour"}, "query.group_by.0"),
        ({"interval": "week"}, "query.interval"),
        ({"from_": "2026-03-01"}, "query.from_"),
    ):
        response = await vn_desk.get("/reports/inquiries", **params)
        assert response.status == 422, params
        assert response.content_type == "application/problem+json"
        assert (await response.json())["errors"][0]["field"] == field
