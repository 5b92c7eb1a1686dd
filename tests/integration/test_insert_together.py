"""A unit of work sends its new documents with its events: in one ``bulkWrite`` where the
server has it (after the transaction's first statement, which carries its read concern),
else one insert per collection. Either way the documents land in order, a taken unique key
raises what its repository makes of it, and nothing of a refused unit is stored."""

from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient, monitoring
from pymongo.errors import DuplicateKeyError

import shared.mongo
from shared.contracts.companies import CompanyVerified
from shared.mongo import MongoClient, NewDocument, insert_together, transaction
from shared.outbox import Outbox, row_records
from shared.platform import Platform, Trace, UnitOfWork, unit_of_work
from shared.settings import ServiceSettings
from shared.topics import Topics

TRACE = Trace(correlation_id=None, traceparent=None, actor="test")
WRITES = {"insert", "bulkWrite", "findAndModify", "commitTransaction", "find"}


class Taken(Exception):
    """What a repository makes of a taken unique key."""


class Commands(monitoring.CommandListener):
    """The names of the commands the client sends (writes and the reads among them)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in WRITES:
            self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def commands() -> Commands:
    return Commands()


@pytest.fixture
async def platform(settings: ServiceSettings, commands: Commands) -> AsyncIterator[Platform]:
    mongo: MongoClient = AsyncMongoClient(
        settings.mongodb_uri, tz_aware=True, event_listeners=[commands]
    )
    database = mongo[settings.database_name("together")]
    outbox = Outbox(database["outbox"])
    await outbox.create_counter()
    await database["keys"].create_index("name", unique=True)
    await database["keys"].insert_one({"_id": "old", "name": "taken"})
    commands.names.clear()
    yield Platform("together", settings, mongo, database, outbox, Topics(settings.topic_prefix))
    await mongo.close()


@pytest.fixture(params=[True, False], ids=["one-command", "per-collection"])
def across_collections(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Both ways: as on MongoDB 8 and SecantusDB, and as on a server without ``bulkWrite``
    (MongoDB 7): the client is told the server's wire version is too old for it."""
    if not request.param:
        monkeypatch.setattr(shared.mongo, "writes_across_collections", lambda client: False)
    return bool(request.param)


def verified(company_id: str) -> CompanyVerified:
    return CompanyVerified(company_id=company_id, version=2, by="admin")


async def test_new_documents_and_events_land_in_order_in_as_few_statements_as_the_server_allows(
    platform: Platform, commands: Commands, across_collections: bool
) -> None:
    database = platform.database
    async with unit_of_work(platform, TRACE) as uow:
        await uow.insert(database["companies"], {"_id": "c1", "name": "first"})
        await uow.insert(database["companies"], {"_id": "c2", "name": "second"})
        await uow.insert(database["keys"], {"_id": "k1", "name": "fresh"})
        await uow.publish("c1", verified("c1"))
        assert commands.names == []  # held until the unit's end
    sent = list(commands.names)

    assert await database["companies"].find({}).sort("_id", 1).to_list() == [
        {"_id": "c1", "name": "first"},
        {"_id": "c2", "name": "second"},
    ]
    assert await database["keys"].find_one({"_id": "k1"}) == {"_id": "k1", "name": "fresh"}
    rows = await platform.outbox.collection.find({}).to_list()
    assert [record.key for row in rows for record in row_records(row)] == ["c1"]
    # The first run opens the transaction alone (it carries the read concern); the key and
    # the events then share one command.
    inserts = ["insert", "bulkWrite"] if across_collections else ["insert", "insert", "insert"]
    assert sent == ["findAndModify", *inserts, "commitTransaction"]


async def test_a_transaction_that_already_read_sends_every_new_document_in_one_command(
    platform: Platform, commands: Commands
) -> None:
    database = platform.database
    async with unit_of_work(platform, TRACE) as uow:
        assert await database["keys"].find_one({"_id": "old"}, session=uow.session)
        await uow.insert(database["companies"], {"_id": "c1"})
        await uow.insert(database["keys"], {"_id": "k1", "name": "fresh"})
        await uow.publish("c1", verified("c1"))
    assert commands.names == ["find", "findAndModify", "bulkWrite", "commitTransaction"]
    assert await database["companies"].count_documents({}) == 1


@pytest.mark.parametrize("position", ["first", "after-the-first"])
async def test_a_taken_unique_key_raises_what_its_owner_makes_of_it_and_stores_nothing(
    platform: Platform, across_collections: bool, position: str
) -> None:
    database = platform.database

    def taken(error: DuplicateKeyError) -> Taken:
        return Taken(str(error))

    taker = {"_id": "k1", "name": "taken"}
    with pytest.raises(Taken, match="duplicate key"):
        async with unit_of_work(platform, TRACE) as uow:
            if position == "first":
                await uow.insert(database["keys"], taker, taken=taken)
            await uow.insert(database["companies"], {"_id": "c1"})
            if position != "first":
                await uow.insert(database["keys"], taker, taken=taken)
            await uow.publish("c1", verified("c1"))

    assert await database["companies"].count_documents({}) == 0
    assert await database["keys"].count_documents({}) == 1  # the one that was there
    assert await platform.outbox.collection.count_documents({}) == 0


async def test_a_taken_key_without_an_owners_meaning_raises_the_duplicate_key_error(
    platform: Platform, across_collections: bool
) -> None:
    database = platform.database
    with pytest.raises(DuplicateKeyError):
        async with unit_of_work(platform, TRACE) as uow:
            await uow.insert(database["companies"], {"_id": "c1"})
            await uow.insert(database["keys"], {"_id": "k1", "name": "taken"})
    assert await database["companies"].count_documents({}) == 0


async def test_a_unit_in_someone_elses_transaction_inserts_at_once(platform: Platform) -> None:
    # Nothing would flush it: a consumer's unit writes each document as it comes.
    database = platform.database
    async with transaction(platform.mongo) as session:
        unit = UnitOfWork(platform, session, TRACE)
        await unit.insert(database["companies"], {"_id": "c1"})
        assert await database["companies"].count_documents({}, session=session) == 1
    assert await database["companies"].count_documents({}) == 1


async def test_a_kept_session_opens_each_of_its_transactions_with_a_statement_of_its_own(
    platform: Platform, commands: Commands
) -> None:
    # A consumer keeps its session across batches: the transactions before this one have
    # answered in it, and still the next one's first statement is the one with the read
    # concern (which SecantusDB refuses on ``bulkWrite``).
    database = platform.database
    async with platform.mongo.start_session() as kept:
        for round_ in ("first", "second"):
            commands.names.clear()
            async with transaction(platform.mongo, session=kept):
                together = [
                    NewDocument(database["companies"], {"_id": f"{round_}-c"}),
                    NewDocument(database["keys"], {"_id": f"{round_}-k", "name": round_}),
                ]
                await insert_together(platform.mongo, together, kept)
            assert commands.names == ["insert", "bulkWrite", "commitTransaction"]
    assert await database["companies"].count_documents({}) == 2
