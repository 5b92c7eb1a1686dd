"""``jamp bench matching-live``: the running matching service driven through Kafka.

The benchmark starts its own embedded MongoDB-wire server and broker and the matching
service as its own process (``python -m services.matching``), publishes a generated desk as
real events (registrations, submissions, then profile updates) and measures what a user of
the running service sees: the events per second it sustains, each update's latency from
publish to its committed offset and to its first match event, the time to build the index
from the read models at start and to rebuild every list, and the process's memory. Next to
them: ``jamp bench matching-scale``'s in-process figures on the same data, with the ratio.
"""

import asyncio
import json
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.matching.bench import desk as generated
from services.matching.bench.scale import measure
from services.matching.index.rebuild import rescore_all
from services.matching.repository import MatchRepository, ReadModels
from services.matching.settings import MatchingSettings
from shared.contracts import EventPayload
from shared.contracts.companies import CompanyRegistered
from shared.contracts.proposals import ProposalSubmitted
from shared.embedded import EmbeddedStack, ManagedProcess, free_port
from shared.envelope import Envelope
from shared.kafka import ensure_topics
from shared.mongo import create_client
from shared.outbox import Outbox
from shared.platform import Platform
from shared.topics import Topics

RESULTS = Path("bench/results")
EVENT_WAIT = 1.0
"""After its commit, how long an update's match events may take (none come if it moved no
match): the relay publishes within its poll interval."""
Offsets = dict[TopicPartition, int]


@dataclass(frozen=True)
class LiveOptions:
    companies: int = 10_000
    proposals: int = 1_000
    burst: int = 2_000
    """Updates published at once: the sustained rate."""
    paced: int = 300
    """Updates published one at a time: the latency of each."""
    seed: int = 7
    workdir: Path = Path(".jamp/bench")


@dataclass
class LiveReport:
    companies: int
    proposals: int
    load_events_per_second: float = 0.0
    update_events_per_second: float = 0.0
    latency_commit_p50: float = 0.0
    latency_commit_p99: float = 0.0
    latency_event_p50: float = 0.0
    latency_event_p99: float = 0.0
    handled_p50: float = 0.0
    """In the service: an update published alone, its consumer transaction from start to
    commit (``consumer_transaction_seconds`` over the paced updates; the histogram
    bucket's upper bound)."""
    handled_p99: float = 0.0
    events_per_transaction: float = 0.0
    """During the burst: how many updates a consumer transaction held on average."""
    index_build_seconds: float = 0.0
    full_rebuild_seconds: float = 0.0
    rss_mb_max: float = 0.0
    in_process: dict[str, float] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class LiveBench:
    def __init__(self, options: LiveOptions, say: Callable[[str], None]) -> None:
        self.options, self.say = options, say
        self.stack = EmbeddedStack(options.workdir / "servers")
        self.port = free_port()
        self.pepper = secrets.token_urlsafe(32)
        self.rss: list[float] = []
        self.first_event: dict[str, float] = {}
        self.arrivals: dict[str, asyncio.Event] = {}

    async def run(self) -> LiveReport:
        options = self.options
        desk = generated.generate(options.companies, options.proposals, options.seed)
        report = LiveReport(options.companies, options.proposals)
        await self.stack.start()
        self.settings = MatchingSettings(
            mongodb_uri=self.stack.mongodb_uri,
            kafka_bootstrap_servers=self.stack.kafka_bootstrap,
            key_pepper=self.pepper,
        )
        self.topics = Topics(self.settings.topic_prefix)
        await ensure_topics(self.stack.kafka_bootstrap, self.topics.all())
        self.producer = AIOKafkaProducer(
            bootstrap_servers=self.stack.kafka_bootstrap, linger_ms=5, max_batch_size=1 << 20
        )
        await self.producer.start()
        # Reads the group's offsets as the monitor does: a consumer of the group's id that
        # never subscribes, so it never joins the group.
        self.offsets = AIOKafkaConsumer(
            bootstrap_servers=self.stack.kafka_bootstrap,
            group_id=self.settings.group_id("matching"),
            enable_auto_commit=False,
        )
        await self.offsets.start()
        service = await self._start_service()
        watch = asyncio.create_task(self._watch_rss(service))
        listen = asyncio.create_task(self._listen_matches())
        try:
            await self._measure(desk, report, service)
        finally:
            watch.cancel()
            listen.cancel()
            await asyncio.gather(watch, listen, return_exceptions=True)
            await service.stop()
            await self.offsets.stop()
            await self.producer.stop()
            await self.stack.stop()
        report.rss_mb_max = max(self.rss, default=0.0)
        self._in_process(desk, report)
        return report

    async def _measure(
        self, desk: generated.Desk, report: LiveReport, service: ManagedProcess
    ) -> None:
        # The desk's companies first, then the needs: each registration then touches no
        # list, and each proposal chooses its list once from the whole pool.
        self.say(f"registering {len(desk.companies):,} companies")
        registered: list[EventPayload] = [CompanyRegistered(company=c) for c in desk.companies]
        seconds = await self._drained(registered)
        self.say(f"submitting {len(desk.proposals):,} proposals")
        submitted: list[EventPayload] = [
            ProposalSubmitted(proposal=p, by="bench") for p in desk.proposals
        ]
        seconds += await self._drained(submitted)
        report.load_events_per_second = (len(registered) + len(submitted)) / seconds
        updates = generated.updates(desk, self.options.burst + self.options.paced)
        burst, paced = updates[: self.options.burst], updates[self.options.burst :]
        self.say(f"{len(burst):,} company updates at once")
        companies = f'topic="{self.topics.of("companies")}"'
        held, transactions = await self._sum("consumer_transaction_events", companies)
        report.update_events_per_second = len(burst) / await self._drained(list(burst))
        held_after, transactions_after = await self._sum("consumer_transaction_events", companies)
        if transactions_after > transactions:
            report.events_per_transaction = (held_after - held) / (
                transactions_after - transactions
            )
        self.say(f"{len(paced):,} company updates one at a time")
        before = await self._buckets("consumer_transaction_seconds", companies)
        commit, event = await self._paced(list(paced))
        report.latency_commit_p50, report.latency_commit_p99 = _percentiles(commit)
        report.latency_event_p50, report.latency_event_p99 = _percentiles(event)
        buckets = _difference(
            await self._buckets("consumer_transaction_seconds", companies), before
        )
        report.handled_p50, report.handled_p99 = (
            _bucket_quantile(buckets, 0.5),
            _bucket_quantile(buckets, 0.99),
        )
        self.say("restarting the service: the index is built from the read models")
        await service.stop()
        await service.start()
        await self._ready()
        report.index_build_seconds = await self._metric("matching_index_build_seconds")
        self.say("full rebuild: the index afresh and every list chosen again")
        try:
            report.full_rebuild_seconds = await self._timed(self._rebuild())
        except Exception as error:  # say so and keep every other figure of the run
            report.full_rebuild_seconds = float("nan")
            report.errors.append(f"full rebuild: {error!r}")
        report.settings = {
            "outbox_poll_seconds": SERVICE_ENV["JAMP_OUTBOX_POLL_SECONDS"],
            "kafka_fetch_max_wait_ms": SERVICE_ENV["JAMP_KAFKA_FETCH_MAX_WAIT_MS"],
        }

    async def _drained(self, events: list[EventPayload]) -> float:
        """Seconds from the first publish until the group committed past the last event."""
        started = time.perf_counter()
        last: Offsets = {}
        sent = [await self._send(payload) for payload in events]
        for done in sent:
            metadata = await done
            partition = TopicPartition(metadata.topic, metadata.partition)
            last[partition] = max(last.get(partition, -1), metadata.offset)
        await self._committed_past(last, poll=0.05)
        return time.perf_counter() - started

    async def _paced(self, updates: list[EventPayload]) -> tuple[list[float], list[float]]:
        commits: list[float] = []
        events: list[float] = []
        for payload in updates:
            correlation = f"bench-{len(commits)}"
            arrived = self.arrivals[correlation] = asyncio.Event()
            started = time.perf_counter()
            metadata = await (await self._send(payload, correlation))
            partition = TopicPartition(metadata.topic, metadata.partition)
            await self._committed_past({partition: metadata.offset}, poll=0.001)
            commits.append(time.perf_counter() - started)
            with suppress(TimeoutError):  # an update that moved no match publishes nothing
                await asyncio.wait_for(arrived.wait(), EVENT_WAIT)
            if correlation in self.first_event:
                events.append(self.first_event[correlation] - started)
        return commits, events

    async def _send(self, payload: EventPayload, correlation: str | None = None) -> Any:
        subject = getattr(payload, "company_id", None) or _subject(payload)
        envelope = Envelope.wrap(
            payload, source=payload.stream, subject=subject, correlation_id=correlation
        )
        return await self.producer.send(
            self.topics.of(payload.stream),
            envelope.to_bytes(),
            key=subject.encode(),
            headers=envelope.kafka_headers(),
        )

    async def _committed_past(self, last: Offsets, poll: float) -> None:
        while True:
            committed = {tp: await self.offsets.committed(tp) or 0 for tp in last}
            if all(committed[tp] > offset for tp, offset in last.items()):
                return
            await asyncio.sleep(poll)

    async def _listen_matches(self) -> None:
        consumer = AIOKafkaConsumer(
            self.topics.of("matches"),
            bootstrap_servers=self.stack.kafka_bootstrap,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            async for record in consumer:
                correlation = dict(record.headers or []).get("correlationid")
                if correlation is not None:
                    name = correlation.decode()
                    self.first_event.setdefault(name, time.perf_counter())
                    if name in self.arrivals:
                        self.arrivals[name].set()
        finally:
            await consumer.stop()

    async def _start_service(self) -> ManagedProcess:
        env = {
            "JAMP_MONGODB_URI": self.stack.mongodb_uri,
            "JAMP_KAFKA_BOOTSTRAP_SERVERS": self.stack.kafka_bootstrap,
            "JAMP_HTTP_PORT": str(self.port),
            # The benchmark's own desk: a pepper of its own, never a default one.
            "JAMP_KEY_PEPPER": self.pepper,
            **SERVICE_ENV,
        }
        log = self.options.workdir / "matching.log"
        service = ManagedProcess("matching", [sys.executable, "-m", "services.matching"], log, env)
        await service.start()
        await self._ready()
        return service

    async def _ready(self, timeout: float = 600) -> None:
        async with aiohttp.ClientSession() as session, asyncio.timeout(timeout):
            while True:
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/readyz") as answer:
                        if answer.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)

    async def _metric(self, name: str) -> float:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{self.port}/metrics") as answer,
        ):
            for line in (await answer.text()).splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        return float("nan")

    async def _buckets(self, name: str, label: str) -> list[tuple[float, float]]:
        """A histogram's cumulative buckets (upper bound, count) for one label's value."""
        found = []
        for line in await self._lines(f"{name}_bucket{{", label):
            bound = line.split('le="')[1].split('"')[0]
            found.append((float(bound), float(line.split()[-1])))
        return found

    async def _sum(self, name: str, label: str) -> tuple[float, float]:
        """A histogram's sum and count for one label's value."""
        [total] = await self._lines(f"{name}_sum{{", label) or ["_ 0"]
        [count] = await self._lines(f"{name}_count{{", label) or ["_ 0"]
        return float(total.split()[-1]), float(count.split()[-1])

    async def _lines(self, prefix: str, label: str) -> list[str]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{self.port}/metrics") as answer,
        ):
            lines = (await answer.text()).splitlines()
        return [line for line in lines if line.startswith(prefix) and label in line]

    async def _watch_rss(self, service: ManagedProcess) -> None:
        while True:
            process = service.process
            if process is not None and process.returncode is None:
                self.rss.append(_rss_mb(process.pid))
            await asyncio.sleep(0.5)

    async def _rebuild(self) -> None:
        mongo = create_client(self.settings.mongodb_uri)
        database = mongo[self.settings.database_name("matching")]
        platform = Platform(
            "matching", self.settings, mongo, database, Outbox(database["outbox"]), self.topics
        )
        try:
            await rescore_all(
                platform, ReadModels(database), MatchRepository(database), self.settings
            )
        finally:
            await mongo.close()

    @staticmethod
    async def _timed(work: Awaitable[None]) -> float:
        started = time.perf_counter()
        await work
        return time.perf_counter() - started

    def _in_process(self, desk: generated.Desk, report: LiveReport) -> None:
        self.say("the in-process figures (jamp bench matching-scale) on the same data")
        rng = np.random.default_rng(self.options.seed)
        figures = {m.name: m.seconds for m in measure(desk.features, desk.needs, 10_000, rng)}
        report.in_process = figures
        update = next(v for k, v in figures.items() if k.startswith("one company"))
        build = next(v for k, v in figures.items() if k.startswith("index build"))
        report.ratios = {
            "live p50 commit / in-process update": report.latency_commit_p50 / update,
            "live p99 commit / in-process update": report.latency_commit_p99 / update,
            "live full rebuild / in-process index build": report.full_rebuild_seconds / build,
        }


SERVICE_ENV = {
    # The relay wakes on its own poll for events a consumer writes: a short poll keeps
    # publish-to-match-event latency close to the handling time.
    "JAMP_OUTBOX_POLL_SECONDS": "0.02",
    # Likewise the consumer's fetch: the embedded broker holds it up to this long.
    "JAMP_KAFKA_FETCH_MAX_WAIT_MS": "20",
    "JAMP_LOG_LEVEL": "WARNING",
}


def _subject(payload: EventPayload) -> str:
    match payload:
        case CompanyRegistered(company=company):
            return company.company_id
        case ProposalSubmitted(proposal=proposal):
            return proposal.proposal_id
    raise TypeError(f"the benchmark publishes no {type(payload).__name__} without a company id")


def _percentiles(samples: list[float]) -> tuple[float, float]:
    if not samples:
        return float("nan"), float("nan")
    return float(np.percentile(samples, 50)), float(np.percentile(samples, 99))


def _difference(
    after: list[tuple[float, float]], before: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """What a histogram counted between two readings (the same buckets, or none before)."""
    counted = dict(before)
    return [(bound, count - counted.get(bound, 0.0)) for bound, count in after]


def _bucket_quantile(buckets: list[tuple[float, float]], share: float) -> float:
    """The upper bound of the bucket holding the ``share`` quantile."""
    total = buckets[-1][1] if buckets else 0.0
    for bound, count in buckets:
        if total and count >= share * total:
            return bound
    return float("nan")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def save(report: LiveReport, directory: Path = RESULTS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"matching-live-{stamp}.json"
    path.write_text(json.dumps(asdict(report), indent=2, default=str))
    return path
