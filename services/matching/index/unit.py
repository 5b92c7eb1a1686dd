"""One transaction's writes, held until it ends: the events of a consumer batch write their
profiles, matches and outbox rows in one round trip each, just before the commit.

Reads inside the transaction must see what its earlier events wrote, so the matches it
saved or patched are kept here too and laid over what the database answers.
"""

from dataclasses import dataclass, field

from pymongo.asynchronous.client_session import AsyncClientSession

from services.matching.model import Match
from services.matching.repository import (
    CompanyWrite,
    MatchRepository,
    MatchWrite,
    Patch,
    StoredPairs,
    Tick,
)
from shared.platform import UnitOfWork

Pairs = dict[str, dict[str, Match]]
"""Proposal -> company -> match."""


@dataclass
class Unit:
    session: AsyncClientSession
    expected: frozenset[str] = frozenset()
    """Companies the transaction's events name."""
    stored: StoredPairs | None = None
    """Their pairs as stored when the transaction began (read once, at the first need)."""
    tick: Tick | None = None
    """The transaction's one turn of the index clock (its first event takes it)."""
    companies: list[CompanyWrite] = field(default_factory=list)
    matches: list[MatchWrite] = field(default_factory=list)
    saved: dict[str, Match] = field(default_factory=dict)
    """The last whole version of each match written here."""
    patched: dict[str, list[Patch]] = field(default_factory=dict)
    """Patches, in order, of matches not written whole here."""
    publishers: dict[int, UnitOfWork] = field(default_factory=dict)
    """Each event's unit of work, holding its events (with its trace) until the end."""
    current: UnitOfWork | None = None
    """The unit of work of the event being handled: its events carry its trace."""

    def record(self, matches: list[Match], patches: list[Patch], seq: int) -> None:
        self.matches += MatchRepository.writes(matches, seq, patches)
        for match in matches:
            self.saved[match.match_id] = match
            self.patched.pop(match.match_id, None)
        for patch in patches:
            if patch.match_id in self.saved:
                self.saved[patch.match_id] = patched(self.saved[patch.match_id], patch)
            else:
                self.patched.setdefault(patch.match_id, []).append(patch)

    def over(self, found: Pairs, company_id: str | None) -> Pairs:
        """What the database answered for these proposals (and ``company_id`` only, if
        named), with this transaction's own writes laid over it."""
        for pairs in found.values():
            for key, match in pairs.items():
                for patch in self.patched.get(match.match_id, ()):
                    match = patched(match, patch)
                pairs[key] = match
        for match in self.saved.values():
            if match.proposal_id in found and company_id in (None, match.company_id):
                found[match.proposal_id][match.company_id] = match
        return found

    def publisher(self, uow: UnitOfWork) -> None:
        self.publishers.setdefault(id(uow), uow)
        self.current = uow


def patched(match: Match, patch: Patch) -> Match:
    version = match.version + patch.new_version
    return Match.model_validate({**match.model_dump(), **patch.fields, "version": version})
