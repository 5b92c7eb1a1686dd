"""Lag thresholds per group: crossing one raises an alert, coming back under clears it."""

from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient
from aiokafka import AIOKafkaProducer

from services.monitor.alerts import handlers as alerting
from services.monitor.keys import ALERTS, THRESHOLDS
from services.monitor.streams.model import GroupStats
from shared.envelope import Envelope
from shared.platform import PLATFORM
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.monitor.test_streams import commit, lagging_group
from tests.support import Caller, eventually, read_topic


async def alert_of(caller: Caller, group: str) -> dict[str, Any] | None:
    body = await (await caller.get("/api/alerts")).json()
    return next((alert for alert in body["alerts"] if alert["group"] == group), None)


async def test_crossing_a_threshold_raises_an_alert_and_coming_back_clears_it(
    operator: Caller, producer: AIOKafkaProducer, settings: ServiceSettings
) -> None:
    group = await lagging_group(settings, producer, behind=3)
    response = await operator.client.put(
        f"/api/thresholds/{group}",
        json={"max_lag": 2},
        headers={"Authorization": f"Bearer {operator.key}"},
    )
    assert response.status == 200

    raised = await eventually(lambda: _active(operator, group, True))
    assert raised["reasons"] == ["lag 3 > 2"] and raised["lag"] == 3
    await commit(settings, group, 4)
    cleared = await eventually(lambda: _active(operator, group, False))
    assert cleared["cleared_at"] is not None and cleared["lag"] == 0

    records = await read_topic(settings, Topics(settings.topic_prefix).of("monitor"), 3)
    types = [Envelope.from_bytes(record.value).type for record in records]
    assert types == [
        "jamp.monitor.lag_threshold_changed.v1",
        "jamp.monitor.lag_alert_raised.v1",
        "jamp.monitor.lag_alert_cleared.v1",
    ]


async def _active(caller: Caller, group: str, active: bool) -> dict[str, Any] | None:
    alert = await alert_of(caller, group)
    return alert if alert is not None and alert["active"] is active else None


async def test_removing_a_threshold_stops_the_watch_and_clears_its_alert(
    operator: Caller, producer: AIOKafkaProducer, settings: ServiceSettings
) -> None:
    group = await lagging_group(settings, producer, behind=3)
    assert (await operator.put(f"/api/thresholds/{group}", {"max_lag": 2})).status == 200
    await eventually(lambda: _active(operator, group, True))

    assert (await operator.delete(f"/api/thresholds/{group}")).status == 204

    listed = await (await operator.get("/api/alerts")).json()
    assert listed["thresholds"] == []
    [alert] = listed["alerts"]
    assert (alert["group"], alert["active"]) == (group, False) and alert["cleared_at"]
    entry = (await (await operator.get("/api/audit")).json())["items"][0]
    assert (entry["action"], entry["target"], entry["by"]["key_id"]) == (
        "threshold.remove", group, operator.key_id,
    )  # fmt: skip
    records = await read_topic(settings, Topics(settings.topic_prefix).of("monitor"), 4)
    told = [Envelope.from_bytes(record.value) for record in records][2:]
    assert [e.type for e in told] == [
        "jamp.monitor.lag_threshold_changed.v1",
        "jamp.monitor.lag_alert_cleared.v1",
    ]
    assert (told[0].data["max_lag"], told[0].data["max_age_seconds"]) == (None, None)
    again = await operator.delete(f"/api/thresholds/{group}")
    assert (again.status, (await again.json())["field"]) == (404, "path.group")


async def test_a_group_that_could_not_exist_is_refused_naming_it(operator: Caller) -> None:
    for group in ("a%2Fb", "x" * 250, "%20"):
        refused = await operator.put(f"/api/thresholds/{group}", {"max_lag": 1})
        assert refused.status == 422, group
        assert (await refused.json())["errors"][0]["field"] == "path.group"
    assert (await (await operator.get("/api/alerts")).json())["thresholds"] == []


async def test_a_threshold_change_is_listed_and_audited(operator: Caller) -> None:
    headers = {"Authorization": f"Bearer {operator.key}"}
    body = {"max_lag": 10, "max_age_seconds": 30}
    await operator.client.put("/api/thresholds/some-group", json=body, headers=headers)

    listed = await (await operator.get("/api/alerts")).json()
    assert listed["thresholds"] == [{"group": "some-group", **body}]
    [entry] = (await (await operator.get("/api/audit")).json())["items"]
    assert (entry["action"], entry["target"], entry["details"]) == (
        "threshold.set", "some-group", body
    )  # fmt: skip


async def test_a_threshold_needs_at_least_one_limit(operator: Caller) -> None:
    headers = {"Authorization": f"Bearer {operator.key}"}
    response = await operator.client.put("/api/thresholds/g", json={}, headers=headers)
    assert response.status == 422
    # JSON has no infinity: 1e400 would be stored as null, a threshold with no limit.
    headers["Content-Type"] = "application/json"
    infinite = await operator.client.put(
        "/api/thresholds/g", data=b'{"max_age_seconds": 1e400}', headers=headers
    )
    assert infinite.status == 422
    assert (await infinite.json())["errors"][0]["field"] == "body.max_age_seconds"
    assert (await (await operator.get("/api/alerts")).json())["thresholds"] == []


async def test_with_no_threshold_set_the_alert_check_reads_no_lag(
    monitor: TestClient[Any, Any],
) -> None:
    # Reading the lag costs broker round trips and reads of the index every few seconds;
    # an idle desk without thresholds has nothing to compare it with.
    asked: list[bool] = []

    async def lags() -> list[GroupStats]:
        asked.append(True)
        return []

    app = monitor.app
    changed = await alerting.evaluate_alerts(
        lags, datetime.now(UTC), thresholds=app[THRESHOLDS], alerts=app[ALERTS],
        platform=app[PLATFORM],
    )  # fmt: skip
    assert changed == [] and asked == []


async def test_thresholds_removed_while_their_group_is_measured_raise_no_alert(
    monitor: TestClient[Any, Any], operator: Caller
) -> None:
    """Measuring takes broker round trips. A raise decided on thresholds removed meanwhile
    stood for good: a group without thresholds is never measured again (CI saw it)."""
    group = "removed-while-measured"
    assert (await operator.put(f"/api/thresholds/{group}", {"max_lag": 2})).status == 200

    async def lags_while_removed() -> list[GroupStats]:
        assert (await operator.delete(f"/api/thresholds/{group}")).status == 204
        return [GroupStats(group=group, state="Stable", members=[], partitions=[], lag=3,
                           oldest_age_seconds=None)]  # fmt: skip

    app = monitor.app
    changed = await alerting.evaluate_alerts(
        lags_while_removed, datetime.now(UTC), thresholds=app[THRESHOLDS], alerts=app[ALERTS],
        platform=app[PLATFORM],
    )  # fmt: skip
    assert changed == [] and await alert_of(operator, group) is None
    assert (await (await operator.get("/api/alerts")).json())["thresholds"] == []
