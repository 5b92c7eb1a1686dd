"""The report per country and category: counts, medians, SLA attainment, JSON and CSV."""

import csv
import io

from tests.integration.inquiries.conftest import THAI, ManualClock, submitted
from tests.support import Caller


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
