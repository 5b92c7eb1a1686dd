"""SLA clocks in the desk's business hours, moved by a hand clock, published exactly once."""

import asyncio
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.inquiries.app import create_app
from services.inquiries.keys import DESK
from services.inquiries.settings import InquirySettings
from services.inquiries.sla.ticker import SlaTicker
from shared.settings import ServiceSettings
from tests.integration.inquiries.conftest import (
    ManualClock,
    history_types,
    knows_the_ascn_cities,
    submitted,
)
from tests.support import Caller, eventually, granted, serving

FRIDAY_1630_HANOI = datetime(2026, 3, 6, 9, 30, tzinfo=UTC)


async def _count(caller: Caller, inquiry_id: str, kind: str) -> int:
    return (await history_types(caller, inquiry_id)).count(kind)


class TestDeadlines:
    async def test_deadlines_count_only_business_hours_over_the_weekend(
        self, vn_desk: Caller, clock: ManualClock
    ) -> None:
        clock.now = FRIDAY_1630_HANOI
        created = await submitted(vn_desk, priority="urgent")  # 60 business minutes
        deadline = created["clocks"]["first_response"]["deadline"]
        assert deadline == "2026-03-09T02:30:00Z"  # Monday 09:30 in Hanoi

    async def test_a_holiday_of_the_desk_country_is_skipped(
        self, vn_desk: Caller, admin: Caller, clock: ManualClock
    ) -> None:
        calendar = {"time_zone": "Asia/Ho_Chi_Minh", "holidays": ["2026-03-09"]}
        assert (await admin.put("/calendars/VN", calendar)).status == 200
        clock.now = FRIDAY_1630_HANOI
        created = await submitted(vn_desk, priority="urgent")
        assert created["clocks"]["first_response"]["deadline"] == "2026-03-10T02:30:00Z"

    async def test_only_admins_edit_calendars_and_bad_ones_name_the_field(
        self, vn_desk: Caller, admin: Caller
    ) -> None:
        assert (await vn_desk.put("/calendars/VN", {"time_zone": "UTC"})).status == 403
        response = await admin.put("/calendars/VN", {"time_zone": "Mars/Olympus"})
        assert response.status == 422
        assert (await response.json())["errors"][0]["field"] == "body.time_zone"
        # The one-window form names the field that ends up on the wrong side of the other.
        for sent, field in (
            ({"opens": "18:00"}, "body.opens"),  # against the default 17:00
            ({"closes": "08:00"}, "body.closes"),  # against the default 09:00
            ({"opens": "10:00", "closes": "10:00"}, "body.closes"),
        ):
            refused = await admin.put("/calendars/VN", {"time_zone": "UTC", **sent})
            assert refused.status == 422, sent
            assert (await refused.json())["errors"][0]["field"] == field, sent
        late = await admin.put(
            "/calendars/VN", {"time_zone": "UTC", "opens": "18:00", "closes": "22:00"}
        )
        assert late.status == 200  # a late shift is a window like any other


class TestTicker:
    async def test_warning_then_breach_each_published_once_and_listed_as_breached(
        self, vn_desk: Caller, clock: ManualClock
    ) -> None:
        inquiry_id = (await submitted(vn_desk, priority="urgent"))["inquiry_id"]
        clock.advance(minutes=50)  # past 75 % of 60 minutes
        await eventually(lambda: _count(vn_desk, inquiry_id, "sla_warning"))
        clock.advance(minutes=15)
        await eventually(lambda: _count(vn_desk, inquiry_id, "sla_breached"))
        clock.advance(hours=2)
        await asyncio.sleep(0.3)  # several ticks later: nothing new is due
        types = await history_types(vn_desk, inquiry_id)
        assert types.count("sla_warning") == 1 and types.count("sla_breached") == 1
        listed = await (await vn_desk.get("/inquiries", sla="breached")).json()
        assert [item["inquiry_id"] for item in listed["items"]] == [inquiry_id]

    async def test_a_paused_clock_does_not_breach_and_resumes_with_a_later_deadline(
        self, vn_desk: Caller, clock: ManualClock
    ) -> None:
        inquiry_id = (await submitted(vn_desk, priority="urgent"))["inquiry_id"]
        await vn_desk.post(f"/inquiries/{inquiry_id}/replies", {"body": "Which city?"})
        await vn_desk.post(f"/inquiries/{inquiry_id}/wait", {})
        clock.advance(days=3)
        await asyncio.sleep(0.3)
        assert await _count(vn_desk, inquiry_id, "sla_breached") == 0
        reply = {"body": "Hue.", "from_requester": True}
        await vn_desk.post(f"/inquiries/{inquiry_id}/replies", reply)
        current = await (await vn_desk.get(f"/inquiries/{inquiry_id}")).json()
        resolution = current["clocks"]["resolution"]
        assert resolution["state"] == "running"
        assert resolution["deadline"] > clock.now.isoformat().replace("+00:00", "Z")

    async def test_a_reply_in_time_is_met_once_and_never_breaches(
        self, vn_desk: Caller, clock: ManualClock
    ) -> None:
        inquiry_id = (await submitted(vn_desk, priority="urgent"))["inquiry_id"]
        clock.advance(minutes=10)
        await vn_desk.post(f"/inquiries/{inquiry_id}/replies", {"body": "Here you go."})
        clock.advance(hours=9)  # past Monday 17:00, the resolution deadline
        await eventually(lambda: _count(vn_desk, inquiry_id, "sla_breached"))
        types = await history_types(vn_desk, inquiry_id)
        assert types.count("sla_met") == 1
        breaches = await (await vn_desk.get(f"/inquiries/{inquiry_id}/history")).json()
        clocks = [
            e["data"]["clock"] for e in breaches["items"] if e["type"].endswith("breached.v1")
        ]
        assert clocks == ["resolution"]


class TestReplicasAndRestarts:
    @pytest.fixture
    def inquiry_settings(self) -> InquirySettings:
        """Tickers that run only when a test calls them: the background one sleeps an hour."""
        return InquirySettings(sla_tick_seconds=3600, webhook_poll_seconds=3600)

    async def test_two_replicas_ticking_at_once_publish_the_breach_once(
        self,
        inquiries: TestClient[Any, Any],
        settings: ServiceSettings,
        inquiry_settings: InquirySettings,
        vn_desk: Caller,
        clock: ManualClock,
    ) -> None:
        inquiry_ids = [
            (await submitted(vn_desk, priority="urgent"))["inquiry_id"] for _ in range(3)
        ]
        factory = partial(create_app, inquiry_settings=inquiry_settings, clock=clock)
        async with serving(factory, settings) as replica:
            clock.advance(hours=2)  # after both background tickers had their first look
            tickers = [SlaTicker(inquiries.app[DESK]), SlaTicker(replica.app[DESK])]
            published = await asyncio.gather(*(ticker.tick() for ticker in tickers))
        # Per inquiry: first-response warning + breach, resolution warning (480 min x 75 %
        # is not reached after 60 minutes): 2 events each, from exactly one replica.
        assert sum(published) == 2 * len(inquiry_ids)
        for inquiry_id in inquiry_ids:
            types = await history_types(vn_desk, inquiry_id)
            assert (types.count("sla_warning"), types.count("sla_breached")) == (1, 1)

    async def test_deadlines_survive_a_restart_of_the_service(
        self, settings: ServiceSettings, inquiry_settings: InquirySettings, clock: ManualClock
    ) -> None:
        factory = partial(create_app, inquiry_settings=inquiry_settings, clock=clock)
        async with serving(factory, settings) as first:
            await knows_the_ascn_cities(first)
            desk = await granted(first, "desk:VN")
            inquiry_id = (await submitted(desk, priority="urgent"))["inquiry_id"]
        clock.advance(hours=2)
        async with serving(factory, settings) as second:
            desk = await granted(second, "desk:VN")
            # The restarted service's ticker finds the stored deadline on its first look.
            await eventually(lambda: _count(desk, inquiry_id, "sla_breached"))
            assert await _count(desk, inquiry_id, "sla_warning") == 1
