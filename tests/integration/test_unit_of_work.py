"""A unit of work writes its events with one insert before it commits; one built around
a transaction someone else commits writes each event as it is published."""

from shared.contracts.companies import CompanyVerified
from shared.mongo import create_client, transaction
from shared.outbox import Outbox, row_records
from shared.platform import Platform, Trace, UnitOfWork, unit_of_work
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.support import outbox_events

TRACE = Trace(correlation_id=None, traceparent=None, actor="test")


def verified(company_id: str) -> CompanyVerified:
    return CompanyVerified(company_id=company_id, version=2, by="admin")


async def test_a_unit_of_work_writes_its_events_together_in_order_at_its_end(
    settings: ServiceSettings,
) -> None:
    mongo = create_client(settings.mongodb_uri)
    database = mongo[settings.database_name("uow")]
    platform = Platform("uow", settings, mongo, database, Outbox(database["outbox"]),
                        Topics(settings.topic_prefix))  # fmt: skip
    try:
        async with unit_of_work(platform, TRACE) as uow:
            await uow.publish("a", verified("a"))
            await uow.publish("b", verified("b"))
            seen = await platform.outbox.collection.count_documents({}, session=uow.session)
            assert seen == 0  # held until the end of the unit
        rows = await platform.outbox.collection.find({}).sort("_id", 1).to_list()
        assert [row["seq"] for row in rows] == [1]  # the unit's events share one row
        assert [record.key for record in row_records(rows[0])] == ["a", "b"]  # in order
        assert await uow.committed()  # found under its first number

        async with transaction(mongo) as session:  # a consumer's transaction
            outside = UnitOfWork(platform, session, TRACE)
            await outside.publish("c", verified("c"))
            held = await outbox_events(platform.outbox.collection, session=session)
            assert [envelope.subject for envelope in held] == ["a", "b", "c"]
    finally:
        await mongo.close()
