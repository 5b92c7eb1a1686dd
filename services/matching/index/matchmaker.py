"""The matchmaker: the long-lived index of the service, and what an event does to the lists.

Built once at start from the read models and the matches, then updated in place: a company
event replaces the company's column and refreshes only the lists it is in or would now
enter; a proposal event replaces its row and refreshes its own list. The open lists an
event touches are read in one query. Every change leaves as match.proposed / offered /
updated / withdrawn (and meeting.cancelled) through the outbox, in the event's transaction.

Several events may share one transaction (a consumer batch, ``batch``): they take one tick
of the clock, and their profile, match and outbox writes are held in a ``Unit`` and leave in
one round trip each before the commit. A profile is checked and updated against the pool's
copy, which the clock makes as fresh as the database's (below).

Replicas: every transaction that changes what the index follows first ticks the index
clock (``IndexClock``). Ticks serialise, so when a replica's tick succeeds its snapshot
holds every change committed before; if the clock's last writer is not this replica's last
transaction, it reads what changed since (``seq`` stamps) before scoring. No replica ever
scores against a pool older than the last committed change.
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pymongo.asynchronous.client_session import AsyncClientSession

from services.matching.history.repository import TrackRecord
from services.matching.index.board import Board, Entry
from services.matching.index.changes import Changes
from services.matching.index.pool import Pool, Scoring
from services.matching.index.unit import Unit
from services.matching.model import ANSWERABLE, MUTUAL, OPEN, WAITING, Match
from services.matching.readmodel import MATCHABLE, describe_changes, with_changes
from services.matching.repository import (
    IndexClock,
    MatchRepository,
    ReadModels,
    StoredPairs,
    Tick,
)
from services.matching.scoring.features import Reference
from services.matching.scoring.selection import ListRules, choose, favour
from services.matching.scoring.weights import HAND_SET, Weights
from services.matching.sessions.model import fiscal_year
from services.matching.sessions.repository import SessionRepository
from shared.clock import utc_now
from shared.contracts.companies import CompanyProfile
from shared.contracts.proposals import ProposalDetails
from shared.logs import get_logger
from shared.platform import UnitOfWork

log = get_logger(__name__)
Reasons = Callable[[str], list[str]]
"""Company id -> why its match changed."""


def because(company_id: str, reasons: list[str]) -> Reasons:
    """The event's reasons for the company it is about; others moved with the pool."""
    return lambda other: reasons if other == company_id else ["rescored with the company pool"]


VETOED_AGAIN = frozenset({"declined", "expired"})


@dataclass(frozen=True)
class StatsSchedule:
    share: float = 0.25
    """Refresh the corpus statistics once this share of the pool changed..."""
    seconds: float = 900.0
    """...or this long after the last refresh, if anything changed at all."""


@dataclass
class Pending:
    """What this replica's transaction in flight changed in memory: if it never commits,
    these are read again from the database before the next event."""

    tick: Tick
    companies: set[str] = field(default_factory=set)
    proposals: set[str] = field(default_factory=set)
    matches: set[str] = field(default_factory=set)


class Matchmaker:
    def __init__(
        self,
        read_models: ReadModels,
        matches: MatchRepository,
        sessions: SessionRepository,
        clock: IndexClock,
        rules: ListRules,
        schedule: StatsSchedule = StatsSchedule(),
        weights: Weights = HAND_SET,
        record: TrackRecord | None = None,
    ) -> None:
        self.read_models, self.matches, self.sessions = read_models, matches, sessions
        self.clock, self.rules, self.schedule = clock, rules, schedule
        self.weights, self.record = weights, record
        self.pool, self.board = Pool(), Board(rules.cap)
        self.seq, self.stats_epoch, self.rebuilds = 0, 0, 0
        self.pending: Pending | None = None
        self.unit: Unit | None = None
        """The transaction in flight's writes, held until it ends (see ``batch``)."""
        self.cuts: dict[str, float] = {}
        """Per open proposal: the score a company must beat to enter its list."""
        self._cut_rows: NDArray[np.float32] | None = None
        """The same by row of the score matrix (infinite for a free row), kept with them."""

    async def start(self) -> None:
        """The whole index from the read models: once per process start."""
        self.seq, self.stats_epoch, self.rebuilds = await self.clock.now()
        proposals, states, record = await asyncio.gather(  # the database works meanwhile
            self.read_models.matchable_proposals(),
            self.matches.all_states(),
            self.record.references() if self.record else _nothing(),
        )
        pool = Pool(scoring=Scoring(self.weights, record))
        async for profile in self.read_models.every_company():  # never all profiles at once
            pool.add(profile)
        self.pool = pool.built(proposals)
        self.board = Board(self.rules.cap)
        for state in states:
            self.board.put(_entry(state))
        self._uncut()  # rows are numbered afresh
        self._recut(self.pool.proposals)
        log.info("matching.index_built", companies=self.pool.size, seq=self.seq)

    # Transactions.
    @asynccontextmanager
    async def batch(
        self, session: AsyncClientSession, companies: Collection[str] = ()
    ) -> AsyncIterator[None]:
        """Every event handled inside shares the transaction's one tick; their writes leave
        as it ends. If it fails they are dropped, and what they changed in memory is read
        again before the next event (``Pending``). The pairs of ``companies`` (those the
        events name) are read in one query when the first is needed."""
        previous, unit = self.unit, Unit(session, expected=frozenset(companies))
        self.unit = unit
        try:
            yield
            await self._flush(unit)
        finally:
            self.unit = previous

    @asynccontextmanager
    async def _within(self, uow: UnitOfWork) -> AsyncIterator[Unit]:
        """The transaction's unit: the batch's, or one of the event's own, written as it ends."""
        if self.unit is not None and self.unit.session is uow.session:
            yield await self._joined(self.unit, uow)
            return
        async with self.batch(uow.session):
            assert self.unit is not None
            yield await self._joined(self.unit, uow)

    async def _joined(self, unit: Unit, uow: UnitOfWork) -> Unit:
        unit.publisher(uow)
        if unit.tick is None:
            unit.tick = await self._tick(uow.session)
        return unit

    async def _flush(self, unit: Unit) -> None:
        await self.read_models.write_companies(unit.companies, unit.session)
        await self.matches.write(unit.matches, unit.session)
        publishers = list(unit.publishers.values())
        events = [event for uow in publishers for event in uow.events]
        for uow in publishers:
            uow.events = []
        if events:
            await publishers[0].platform.outbox.add_all(unit.session, events)

    # Events.
    async def company_changed(self, profile: CompanyProfile, why: Reasons, uow: UnitOfWork) -> None:
        async with self._within(uow) as unit:
            stored = self.pool.stored(profile.company_id)
            if stored is not None and stored.version > profile.version:
                return  # a stale event: the read model holds a newer profile
            unit.companies.append(self.read_models.company_put(profile, self._seq(unit)))
            await self._company_stored(profile, why, unit)

    async def company_updated(
        self, company_id: str, version: int, changes: dict[str, Any], uow: UnitOfWork
    ) -> None:
        """A profile update, checked against the pool's copy and written at the end."""
        async with self._within(uow) as unit:
            before = self.pool.stored(company_id)
            if before is None or before.version >= version:
                log.info("matching.stale_company_event", company_id=company_id, version=version)
                return
            write = self.read_models.company_update(company_id, version, changes, self._seq(unit))
            unit.companies.append(write)
            reasons = describe_changes("company", before.model_dump(mode="json"), changes)
            after = with_changes(before, version, changes)
            await self._company_stored(after, because(company_id, reasons), unit)

    async def _company_stored(self, profile: CompanyProfile, why: Reasons, unit: Unit) -> None:
        self._pending.companies.add(profile.company_id)
        position = self.pool.put_company(profile)
        if await self._refresh_stats_when_due(unit.session):
            touched: Collection[str] = list(self.pool.proposals)
        else:
            touched = self._touched_by(profile.company_id, position)
        await self._refresh_lists(touched, why, unit, only=profile.company_id)

    async def record_changed(self, company_id: str, reason: str, uow: UnitOfWork) -> None:
        """The company's track record grew (a meeting led to an MOU or F/S proposal): its
        column scored again with it here, and every other replica rebuilds its index (the
        record is read with the index; such outcomes are few)."""
        if self.record is None:
            return
        async with self._within(uow) as unit:
            found = await self.record.references(uow.session, company_id=company_id)
            record = {**self.pool.scoring.record, company_id: found.get(company_id, ())}
            self.pool.scoring = replace(self.pool.scoring, record=record)
            await self.announce_rebuild(uow)
            profile = self.pool.stored(company_id)
            if profile is not None:
                await self._company_stored(profile, because(company_id, [reason]), unit)

    async def proposal_changed(
        self, proposal: ProposalDetails, reasons: list[str], uow: UnitOfWork
    ) -> None:
        async with self._within(uow) as unit:
            if not await self.read_models.put_proposal(proposal, uow.session, self._seq(unit)):
                return
            self._pending.proposals.add(proposal.proposal_id)
            before = self.pool.proposals.get(proposal.proposal_id)
            if proposal.status in MATCHABLE:
                self.pool.put_proposal(proposal)
                if proposal.status in ANSWERABLE and (
                    before is None or before.details.status not in ANSWERABLE
                ):
                    await self._offer_list(proposal.proposal_id, unit)
                await self._refresh_lists({proposal.proposal_id}, lambda _: reasons, unit)
            else:
                self.pool.drop_proposal(proposal.proposal_id)
                self._uncut(proposal.proposal_id)
                await self._close_list(proposal.proposal_id, f"proposal {proposal.status}", unit)

    @staticmethod
    def _seq(unit: Unit) -> int:
        assert unit.tick is not None, "joined first"
        return unit.tick.seq

    # Keeping up with the other replicas.
    async def sync(self, uow: UnitOfWork) -> Tick:
        """The transaction's tick (taken now if it has none): caught up with the others."""
        async with self._within(uow) as unit:
            assert unit.tick is not None
            return unit.tick

    async def _tick(self, session: AsyncClientSession) -> Tick:
        """Tick the clock; catch up with whatever this replica has not seen or not committed."""
        tick = await self.clock.tick(session)
        if tick.rebuilds != self.rebuilds:
            await self.start()  # the read models were rebuilt: nothing in memory holds
            self.pending, self.seq = None, tick.before
        pending, self.pending = self.pending, None
        if pending is not None and tick.before_writer == pending.tick.writer:
            pass  # our last transaction committed, and nobody wrote since
        elif pending is not None or tick.before != self.seq:
            known = pending.tick.before if pending is not None else self.seq
            await self._catch_up(known, pending or Pending(tick), session)
        self.seq = tick.before
        self.pending = Pending(tick)
        if tick.stats_epoch != self.stats_epoch:
            self.stats_epoch = tick.stats_epoch  # another replica refreshed the statistics
            self.pool.refresh()
            self._recut(self.pool.proposals)
        return tick

    async def announce_rebuild(self, uow: UnitOfWork) -> None:
        """This process rebuilt the read models: the other replicas start afresh."""
        await self.clock.new_rebuild(uow.session)
        self.rebuilds += 1

    @property
    def _pending(self) -> Pending:
        assert self.pending is not None, "sync() first"
        return self.pending

    async def _catch_up(self, known: int, pending: Pending, session: AsyncClientSession) -> None:
        companies, gone = await self.read_models.companies_since(known, pending.companies, session)
        for profile in companies:
            self.pool.put_company(profile)
        for company_id in gone:
            self.pool.forget_company(company_id)
        proposals, gone = await self.read_models.proposals_since(known, pending.proposals, session)
        for proposal in proposals:
            if proposal.status in MATCHABLE:
                self.pool.put_proposal(proposal)
            else:
                self.pool.drop_proposal(proposal.proposal_id)
        for proposal_id in gone:
            self.pool.drop_proposal(proposal_id)
        states, gone = await self.matches.states_since(known, pending.matches, session)
        for state in states:
            self.board.put(_entry(state))
        for match_id in gone:
            self.board.forget(match_id)
        self._uncut()
        self._recut(self.pool.proposals)
        log.info("matching.index_caught_up", since=known, companies=len(companies))

    # Which lists an event touches.
    def _touched_by(self, company_id: str, position: int) -> set[str]:
        """The lists the company is in, and those its new score would enter."""
        touched = self.board.lists_of(company_id) & self.pool.proposals.keys()
        capped = self.board.exposure[company_id] >= self.rules.cap
        if self.pool.companies[position].blocked or capped or not self.pool.rows:
            return touched
        rows = len(self.pool.rows)
        column = self.pool.scores[:rows, position]
        cuts = self._cut_array(rows)
        return touched | {self.pool.rows[r] or "" for r in np.nonzero(column > cuts)[0]}

    def _cut_array(self, rows: int) -> NDArray[np.float32]:
        if self._cut_rows is None or len(self._cut_rows) != rows:
            cuts = np.full(rows, np.inf, np.float32)
            for proposal_id, cut in self.cuts.items():
                cuts[self.pool.proposals[proposal_id].row] = cut
            self._cut_rows = cuts
        return self._cut_rows

    def _uncut(self, proposal_id: str | None = None) -> None:
        """The proposal's cut gone (every cut, if none is named)."""
        if proposal_id is None:
            self.cuts = {}
        else:
            self.cuts.pop(proposal_id, None)
        self._cut_rows = None

    def _recut(self, proposal_ids: Collection[str]) -> None:
        for proposal_id in proposal_ids:
            if proposal_id not in self.pool.proposals:
                continue
            scores = self.pool.row_scores(proposal_id)
            listed = [
                self.pool.position[c]
                for c in self.board.listed(proposal_id)
                if c in self.pool.position
            ]
            full = len(listed) >= self.rules.size
            # Not full: anyone at the floor may enter (the cut is just below it).
            floor = np.nextafter(np.float32(self.rules.floor), np.float32(-1))
            cut = self.cuts[proposal_id] = float(scores[listed].min()) if full else float(floor)
            row = self.pool.proposals[proposal_id].row
            if self._cut_rows is not None and row < len(self._cut_rows):
                self._cut_rows[row] = cut

    # Refreshing lists.
    async def refresh_lists(
        self, proposal_ids: Collection[str], why: Reasons, uow: UnitOfWork
    ) -> None:
        """Choose each list again from the scores in memory and write every difference."""
        async with self._within(uow) as unit:
            await self._refresh_lists(proposal_ids, why, unit)

    async def _refresh_lists(
        self, proposal_ids: Collection[str], why: Reasons, unit: Unit, only: str | None = None
    ) -> None:
        """``only``: the one company whose scores changed. Then only its pairs are read; the
        others' scores did not move, so the board knows enough to re-rank, withdraw or
        bring them back."""
        ids = {proposal_id for proposal_id in proposal_ids if proposal_id in self.pool.proposals}
        read = await self._pairs(ids, unit, only)
        changes = Changes(utc_now(), self.weights, lambda c: self.pool.explained(c))
        for proposal_id in sorted(ids):
            existing: dict[str, Match | Entry] = {}
            if only is not None:
                existing.update(self.board.pairs(proposal_id))
            existing.update(read[proposal_id])
            self._refresh(proposal_id, existing, why, changes)
        await self._write(changes, unit)
        self._recut(ids)

    async def _pairs(
        self, proposal_ids: set[str], unit: Unit, company_id: str | None = None
    ) -> dict[str, dict[str, Match]]:
        """The proposals' pairs (or ``company_id``'s only) as this transaction sees them.
        None stored, by the board, and none written here: nothing to read."""
        found: dict[str, dict[str, Match]] = {proposal_id: {} for proposal_id in proposal_ids}
        if company_id is None:
            found = await self.matches.of_proposals(proposal_ids, unit.session)
        elif company_id in unit.expected:
            if unit.stored is None:
                unit.stored = await self._stored_pairs(unit)
            for proposal_id, match in unit.stored.of(company_id, proposal_ids).items():
                found[proposal_id][company_id] = match
        elif any(company_id in self.board.lists.get(p, ()) for p in proposal_ids):
            found = await self.matches.of_proposals(proposal_ids, unit.session, company_id)
        return unit.over(found, company_id)

    async def _stored_pairs(self, unit: Unit) -> StoredPairs:
        """The stored pairs of the companies the transaction's events name. The board holds
        every pair (caught up as the transaction ticked), so a company it knows no pair of
        (a new one) has none stored: only the others are read, and nothing when none has."""
        paired = {company for company in unit.expected if self.board.of_company.get(company)}
        if not paired:
            return StoredPairs({})
        return await self.matches.of_companies(paired, unit.session)

    def _refresh(
        self, proposal_id: str, existing: dict[str, Match | Entry], why: Reasons, changes: Changes
    ) -> None:
        pool = self.pool
        proposal = pool.proposals[proposal_id]
        blocked = pool.blocked().copy()
        cycle = fiscal_year(changes.now)
        own_open = {c for c, m in existing.items() if m.status in OPEN}
        for company_id in self.board.capped:
            exposure = self.board.exposure[company_id] - (company_id in own_open)
            if exposure >= self.rules.cap and company_id in pool.position:
                blocked[pool.position[company_id]] = True
        pinned = []
        for company_id, match in existing.items():
            position = pool.position.get(company_id)
            if position is None:
                continue
            if match.status in WAITING | MUTUAL and not pool.companies[position].blocked:
                pinned.append(position)
            # Declined or expired pairs stay out; so does a pair met this cycle (per proposal).
            elif match.status in VETOED_AGAIN or match.cycle == cycle:
                blocked[position] = True
        scores = pool.row_scores(proposal_id)
        incumbents = [pool.position[c] for c in own_open if c in pool.position]
        chosen = choose(favour(scores, incumbents), blocked, self.rules, pinned)
        chosen.sort(key=lambda position: -scores[position])
        for rank, position in enumerate(chosen, start=1):
            company = pool.companies[position]
            changes.place(proposal, company, rank, float(scores[position]), existing, why)
        kept = {pool.company_id(position) for position in chosen}
        for company_id, match in existing.items():
            if company_id in kept:
                continue
            suspended = (
                company_id in pool.position and pool.companies[pool.position[company_id]].blocked
            )
            if match.status in OPEN or (match.status in MUTUAL and suspended):
                reason = "company suspended" if suspended else "fell below the cut"
                changes.withdraw(match, reason)
            elif match.rank:
                changes.unrank(match)

    async def _offer_list(self, proposal_id: str, unit: Unit) -> None:
        """The proposal was accepted: its open matches, a preview until now, are offered to
        both sides (entries that join the list later are offered as they enter)."""
        existing = (await self._pairs({proposal_id}, unit))[proposal_id]
        changes = Changes(utc_now(), self.weights)
        for match in existing.values():
            if match.status in OPEN:
                changes.offer(match)
        await self._write(changes, unit)

    async def _close_list(self, proposal_id: str, reason: str, unit: Unit) -> None:
        """The proposal left matching: every open or mutual match is withdrawn, its future
        meetings cancelled, and its contacts no longer revealed."""
        existing = (await self._pairs({proposal_id}, unit))[proposal_id]
        changes = Changes(utc_now(), self.weights)
        for match in existing.values():
            if match.status in OPEN | MUTUAL:
                changes.withdraw(match, reason)
        await self._write(changes, unit)

    async def _write(self, changes: Changes, unit: Unit) -> None:
        """Into memory now; into the database as the transaction ends (``_flush``)."""
        for match in changes.saves:
            self._pending.matches.add(match.match_id)
            self.board.put_match(match)
        for entry in changes.entries:
            self._pending.matches.add(entry.match_id)
            self.board.put(entry)
        unit.record(changes.saves, changes.patches, self._seq(unit))
        cancelled = await self.sessions.cancel_meetings(changes.meetings, changes.now, unit.session)
        events = changes.events + [(m.meeting_id, m.cancellation()) for m in cancelled]
        uow = unit.current
        assert uow is not None, "joined first"
        # Its events wait in it for the flush, with the others' of the transaction.
        buffered, uow.buffered = uow.buffered, True
        try:
            await uow.publish_all(events)
        finally:
            uow.buffered = buffered

    async def _refresh_stats_when_due(self, session: AsyncClientSession) -> bool:
        """Statistics drift as the pool grows: on schedule, new ones, after which every list
        is chosen again and only the pairs whose score or place really moved are published."""
        if not self.pool.stale(self.schedule.share, self.schedule.seconds):
            return False
        await self.clock.new_stats_epoch(session)
        self.stats_epoch += 1
        self.pool.refresh()
        self._recut(self.pool.proposals)
        log.info("matching.statistics_refreshed", companies=self.pool.size)
        return True


async def _nothing() -> dict[str, tuple[Reference, ...]]:
    return {}


def _entry(state: dict[str, Any]) -> Entry:
    return Entry(
        state["_id"],
        state["proposal_id"],
        state["company_id"],
        state["status"],
        state.get("rank", 0),
        state.get("cycle"),
    )
