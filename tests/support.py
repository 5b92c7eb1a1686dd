"""Helpers the integration tests share: HTTP callers, key issuing, reading topics, polling."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import ClientResponse, FormData, web
from aiohttp.test_utils import TestClient, TestServer
from aiohttp.web_runner import BaseRunner
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import monitoring
from pymongo.asynchronous.collection import AsyncCollection

from shared.auth import issue_key, parse_grant, register_person
from shared.envelope import Envelope
from shared.http.appkeys import KEYS
from shared.http.server import ServiceRunner
from shared.kafka import started
from shared.mongo import Document, transaction
from shared.outbox import row_records
from shared.platform import PLATFORM
from shared.settings import ServiceSettings, isolated_names

T = TypeVar("T")


async def outbox_events(
    collection: AsyncCollection[Document], event_type: str | None = None, session: Any = None
) -> list[Envelope]:
    """The events an outbox holds, in order, unpacked from its rows (a transaction's
    several events share one); only those of ``event_type`` when given."""
    live = {"tombstone": {"$ne": True}}
    rows = await collection.find(live, session=session).sort("seq", 1).to_list()
    envelopes = [Envelope.from_bytes(record.value) for row in rows for record in row_records(row)]
    return [envelope for envelope in envelopes if event_type in (None, envelope.type)]


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout: float = 15.0) -> T:
    """Poll until the probe returns something truthy; fail after the deadline."""
    async with asyncio.timeout(timeout):
        while True:
            result = await probe()
            if result:
                return result
            await asyncio.sleep(0.05)


@asynccontextmanager
async def kafka_admin(bootstrap_servers: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = await started(AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers))
    try:
        yield admin
    finally:
        await admin.close()


async def topic_names(bootstrap_servers: str) -> list[str]:
    """Every topic on the broker, as its metadata lists them."""
    async with kafka_admin(bootstrap_servers) as admin:
        names: list[str] = await admin.list_topics()
        return names


async def delete_every_topic(bootstrap_servers: str) -> None:
    """Delete every topic on the broker but its own internal ones (``__``)."""
    async with kafka_admin(bootstrap_servers) as admin:
        names = [name for name in await admin.list_topics() if not name.startswith("__")]
        if names:
            await admin.delete_topics(names)


def isolated_settings(mongodb_uri: str, kafka_bootstrap: str, **overrides: Any) -> ServiceSettings:
    """Settings with a database and topic prefix of their own, so tests never meet."""
    run = uuid.uuid4().hex[:10]
    values: dict[str, Any] = {
        "mongodb_uri": mongodb_uri,
        "kafka_bootstrap_servers": kafka_bootstrap,
        **isolated_names(f"t{run}"),
        "outbox_poll_seconds": 0.05,
        "consumer_retry_base_seconds": 0.05,
        "consumer_retry_max_seconds": 0.5,
        "log_json": False,
        "kafka_session_timeout_ms": 1_500,
        "key_pepper": f"tests-only-pepper-{run}",
        **overrides,
    }
    return ServiceSettings(**values)


class ServiceTestServer(TestServer):
    """A ``TestServer`` on the runner ``shared/serve.py`` runs every service with, so a
    request aiohttp's parser refuses is answered here as it is in production."""

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return ServiceRunner(self.app, **kwargs)


@asynccontextmanager
async def serving(
    create_app: Callable[[ServiceSettings], web.Application], settings: ServiceSettings
) -> AsyncIterator[TestClient[Any, Any]]:
    """A service on a real loopback socket, built by its own ``create_app`` and served as
    ``shared/serve.py`` serves it."""
    client = TestClient(ServiceTestServer(create_app(settings)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


class CommandLog(monitoring.CommandListener):
    """The commands sent to one database by every client made after it was registered,
    and the ``bulkWrite`` commands (sent to ``admin``) that write to it."""

    def __init__(self) -> None:
        self.database: str | None = None
        self.started_events: list[monitoring.CommandStartedEvent] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name == self.database or self._writes_here(event):
            self.started_events.append(event)

    def _writes_here(self, event: monitoring.CommandStartedEvent) -> bool:
        if event.command_name != "bulkWrite":
            return False
        return any(
            namespace["ns"].startswith(f"{self.database}.")
            for namespace in event.command.get("nsInfo", [])
        )

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def watch(self, database: str) -> "CommandLog":
        self.database, self.started_events = database, []
        return self

    def sent(self, name: str, collection: str) -> list[Document]:
        """The ``name`` commands (find, insert, ...) on ``collection`` seen so far."""
        return [
            dict(event.command)
            for event in self.started_events
            if event.command_name == name and event.command.get(name) == collection
        ]

    def inserted(self, collection: str) -> list[Document]:
        """The commands that insert into ``collection``: its own ``insert`` commands and the
        ``bulkWrite`` commands that carry an insert into it with other writes."""
        namespace = f"{self.database}.{collection}"
        together = [
            dict(event.command)
            for event in self.started_events
            if event.command_name == "bulkWrite"
            and any(
                "insert" in operation
                and event.command["nsInfo"][operation["insert"]]["ns"] == namespace
                for operation in event.command.get("ops", [])
            )
        ]
        return self.sent("insert", collection) + together


_COMMANDS = CommandLog()
monitoring.register(_COMMANDS)  # PyMongo's global listeners reach every client made later


def command_log(database: str) -> CommandLog:
    """The commands sent to ``database`` from now on (tests run one at a time, so one log
    serves them all)."""
    return _COMMANDS.watch(database)


@dataclass
class Caller:
    """One API key's view of a service under test."""

    client: TestClient[Any, Any]
    key: str | None
    key_id: str | None = None
    """The key's id, where the test made the key and needs to see it named."""

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return {**headers, **(extra or {})}

    async def get(self, path: str, **params: Any) -> ClientResponse:
        return await self.client.get(path, params=params, headers=self._headers(None))

    async def post(
        self, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> ClientResponse:
        return await self.client.post(path, json=body, headers=self._headers(headers))

    async def patch(
        self, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> ClientResponse:
        return await self.client.patch(path, json=body, headers=self._headers(headers))

    async def put(
        self, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> ClientResponse:
        return await self.client.put(path, json=body, headers=self._headers(headers))

    async def delete(self, path: str) -> ClientResponse:
        return await self.client.delete(path, headers=self._headers(None))

    async def upload(
        self,
        path: str,
        data: bytes,
        filename: str = "file.bin",
        content_type: str = "application/octet-stream",
    ) -> ClientResponse:
        """POST one file as multipart/form-data in the part named ``file``."""
        form = FormData()
        form.add_field("file", data, filename=filename, content_type=content_type)
        return await self.client.post(path, data=form, headers=self._headers(None))

    async def fetch(self, path: str, headers: dict[str, str] | None = None) -> ClientResponse:
        return await self.client.get(path, headers=self._headers(headers))


async def granted(client: TestClient[Any, Any], grant: str) -> Caller:
    """A caller with a fresh key, recorded straight into the service's replica (arrangement
    only: the identity stream that normally carries keys has tests of its own)."""
    app = client.app
    role, scope = parse_grant(grant)
    key = issue_key(role, scope, f"test {grant}", app[KEYS].pepper)
    async with transaction(app[PLATFORM].mongo) as session:
        await app[KEYS].record_issued(key.event, session)
    return Caller(client, key.plaintext, key.event.key_id)


@dataclass
class Person:
    """A registered person and a caller with one of their keys."""

    person_id: str
    name: str
    caller: Caller
    callers: tuple[Caller, ...] = ()
    """One caller per grant, in the order given (the first is ``caller``)."""


async def person(client: TestClient[Any, Any], name: str, *grants: str) -> Person:
    """A person holding a key per grant, recorded straight into the service's replica; the
    caller uses the first key."""
    app = client.app
    registered = register_person(name, email=f"{name.split()[0].lower()}@example.org")
    keys = [issue_key(*parse_grant(grant), name, app[KEYS].pepper, registered) for grant in grants]
    async with transaction(app[PLATFORM].mongo) as session:
        await app[KEYS].record_person(registered, session)
        for key in keys:
            await app[KEYS].record_issued(key.event, session)
    callers = tuple(Caller(client, key.plaintext, key.event.key_id) for key in keys)
    return Person(registered.person_id, name, callers[0], callers)


async def read_topic(
    settings: ServiceSettings, topic: str, count: int, timeout: float = 15.0
) -> list[ConsumerRecord]:
    """Read a topic from the start, outside any consumer group, until ``count`` records."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[ConsumerRecord] = []
        async with asyncio.timeout(timeout):
            while len(records) < count:
                batch = await consumer.getmany(timeout_ms=200)
                for partition_records in batch.values():
                    records.extend(partition_records)
        return sorted(records, key=lambda record: record.timestamp)
    finally:
        await consumer.stop()
