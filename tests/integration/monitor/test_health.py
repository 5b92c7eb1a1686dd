"""Health: each service's /readyz and /metrics summarised, with its consumer group's lag."""

from typing import Any

from aiohttp.test_utils import TestClient

from services.monitor.app import create_app
from services.monitor.settings import MonitorSettings
from tests.integration.monitor.test_event_index import register
from tests.support import eventually, granted, serving


async def test_every_target_is_summarised_and_an_unreachable_one_is_down(
    client: TestClient[Any, Any], monitor_settings: MonitorSettings
) -> None:
    await register(client)
    targets = {"companies": str(client.make_url("")), "ghost": "http://127.0.0.1:9"}
    settings = monitor_settings.model_copy(update={"monitor_targets": targets})
    async with serving(create_app, settings) as monitor:
        operator = await granted(monitor, "operator")

        async def with_lag() -> dict[str, Any] | None:
            body = await (await operator.get("/api/health")).json()
            found = {target["name"]: target for target in body["targets"]}
            companies = found["companies"]
            caught_up = companies["consumer_lag"] == 0 and companies["consumed_total"] >= 1
            # A rate needs an earlier successful look at the target: the first look, or
            # one that timed out on a loaded machine, has none yet.
            rated = companies["request_rate"] is not None
            return found if caught_up and rated else None

        # Each look waits for every target and the groups' lag (up to 3 and 10 s): on a
        # loaded machine a few looks take longer than eventually's usual 15 s.
        found = await eventually(with_lag, timeout=60)
    companies, ghost = found["companies"], found["ghost"]
    assert companies["up"] and companies["status"] in ("ok", "degraded")
    assert companies["checks"]["mongodb"] == "ok"
    assert companies["requests_total"] >= 1 and companies["request_rate"] is not None
    assert companies["errors_total"] == 0 and companies["consumed_total"] >= 1
    assert not ghost["up"] and ghost["status"] == "unreachable" and ghost["error"]
