"""Taking events in shares one transaction per run of records of a partition; a company's
events, which only keep its contacts, need none."""

from services.notifications.app import create_app
from services.notifications.keys import MAILROOM
from services.notifications.settings import NotificationSettings
from shared.http.appkeys import METRICS
from tests.integration.notifications.conftest import publish
from tests.integration.notifications.events import company_registered, new_id, proposal_submitted
from tests.support import eventually, serving


async def test_a_backlog_of_proposals_is_taken_in_fewer_transactions_than_events(
    notification_settings: NotificationSettings,
) -> None:
    # Published before the service starts, on one key: one partition's run of ten.
    ids = [new_id() for _ in range(10)]
    await publish(notification_settings, *((proposal_submitted(i), "one") for i in ids))
    async with serving(create_app, notification_settings) as notifications:
        directory = notifications.app[MAILROOM].directory

        async def all_known() -> bool:
            return all([await directory.get(f"proposal:{i}") is not None for i in ids])

        await eventually(all_known, timeout=30)
        registry = notifications.app[METRICS].registry
        topic = {"topic": f"{notification_settings.topic_prefix}.proposals.v1"}
        events = registry.get_sample_value("consumer_transaction_events_sum", topic)
        transactions = registry.get_sample_value("consumer_transaction_events_count", topic)
    assert events == 10
    assert transactions is not None and transactions < 10


async def test_a_backlog_of_registrations_is_taken_in_without_a_transaction_or_markers(
    notification_settings: NotificationSettings,
) -> None:
    ids = [new_id() for _ in range(10)]
    await publish(notification_settings, *((company_registered(i), "one") for i in ids))
    async with serving(create_app, notification_settings) as notifications:
        mailroom = notifications.app[MAILROOM]

        async def all_known() -> bool:
            return all([await mailroom.directory.get(f"company:{i}") is not None for i in ids])

        await eventually(all_known, timeout=30)
        registry = notifications.app[METRICS].registry
        topic = {"topic": f"{notification_settings.topic_prefix}.companies.v1"}
        transactions = registry.get_sample_value("consumer_transaction_events_count", topic)
        markers = mailroom.directory.collection.database["processed_events"]
        stored = await mailroom.directory.get(f"company:{ids[0]}")
        assert transactions is None and await markers.count_documents({}) == 0
        assert stored is not None and stored["contact"]["name"] == "Sato Hanako"
