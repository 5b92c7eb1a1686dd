"""Where every pair stands, in memory: enough to decide which lists an event touches and
how often each company is listed, without reading every list. Pure: no I/O."""

from collections import Counter
from dataclasses import dataclass

from services.matching.model import MUTUAL, OPEN, Match, MatchStatus


@dataclass(frozen=True)
class Entry:
    """A pair as the board keeps it: enough to re-rank or withdraw it without reading it."""

    match_id: str
    proposal_id: str
    company_id: str
    status: MatchStatus
    rank: int = 0
    cycle: str | None = None
    version: int = 1

    @classmethod
    def of(cls, match: Match) -> "Entry":
        return cls(
            match.match_id,
            match.proposal_id,
            match.company_id,
            match.status,
            match.rank,
            match.cycle,
            match.version,
        )


class Board:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.lists: dict[str, dict[str, Entry]] = {}
        self.by_id: dict[str, Entry] = {}
        self.of_company: dict[str, set[str]] = {}
        self.exposure: Counter[str] = Counter()
        """Open lists each company is in: what the exposure cap counts."""
        self.capped: set[str] = set()
        """Companies at the exposure cap."""

    def put(self, entry: Entry) -> None:
        self.forget(entry.match_id)
        self.by_id[entry.match_id] = entry
        self.lists.setdefault(entry.proposal_id, {})[entry.company_id] = entry
        self.of_company.setdefault(entry.company_id, set()).add(entry.proposal_id)
        if entry.status in OPEN:
            self._expose(entry.company_id, 1)

    def put_match(self, match: Match) -> None:
        self.put(Entry.of(match))

    def pairs(self, proposal_id: str) -> dict[str, Entry]:
        """Every pair of the proposal, by company."""
        return dict(self.lists.get(proposal_id, {}))

    def forget(self, match_id: str) -> None:
        old = self.by_id.pop(match_id, None)
        if old is None:
            return
        self.lists[old.proposal_id].pop(old.company_id, None)
        if old.status in OPEN:
            self._expose(old.company_id, -1)

    def _expose(self, company_id: str, change: int) -> None:
        self.exposure[company_id] += change
        if self.exposure[company_id] >= self.cap:
            self.capped.add(company_id)
        else:
            self.capped.discard(company_id)

    def listed(self, proposal_id: str) -> list[str]:
        """Companies in the proposal's list now (open or mutually accepted)."""
        entries = self.lists.get(proposal_id, {})
        return [c for c, entry in entries.items() if entry.status in OPEN | MUTUAL]

    def lists_of(self, company_id: str) -> set[str]:
        """Proposals whose list holds the company now."""
        return {
            proposal_id
            for proposal_id in self.of_company.get(company_id, ())
            if (entry := self.lists[proposal_id].get(company_id)) and entry.status in OPEN | MUTUAL
        }
