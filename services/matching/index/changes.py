"""What one event does to the matches, collected before anything is written. Pure: no I/O.

Every placement, withdrawal and re-ranking is gathered here, so the event writes its
matches in one round trip and its events in another.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.matching.index.board import Entry
from services.matching.index.pool import Company, Proposal
from services.matching.model import ANSWERABLE, CLOSED, Match, match_id_of
from services.matching.readmodel import factor_changes
from services.matching.repository import Patch
from services.matching.scoring.factors import explain
from services.matching.scoring.vectors import CompanyVector
from services.matching.scoring.weights import HAND_SET, Weights
from shared.contracts import EventPayload
from shared.contracts.matching import MatchOffered, MatchProposed, MatchUpdated, MatchWithdrawn

UPDATE_THRESHOLD = 0.005
"""Smaller moves (pool statistics drifting) are stored but not announced."""
SAME_SCORE = 2e-4
Reasons = Callable[[str], list[str]]


def _unexplained(company: Company) -> CompanyVector:
    raise LookupError(f"no way to explain {company.company_id}'s matches was given")


@dataclass
class Changes:
    now: datetime
    weights: Weights = HAND_SET
    explained: Callable[[Company], CompanyVector] = _unexplained
    """The company's whole vector, evidence included (``Pool.explained``): the pool keeps
    only what scoring needs."""
    saves: list[Match] = field(default_factory=list)
    events: list[tuple[str, EventPayload]] = field(default_factory=list)
    patches: list[Patch] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    """The board's view of the patched matches."""
    meetings: dict[str, str] = field(default_factory=dict)
    """Meetings of withdrawn matches, with the reason: cancelled if they have not started."""
    _vectors: dict[str, CompanyVector] = field(default_factory=dict, repr=False)
    """Whole vectors rebuilt so far: one company's update moves it on many lists at once."""

    def _whole(self, company: Company) -> CompanyVector:
        """``explained`` once per company of this change (the pool does not change while a
        change is being made), however many of its pairs enter or are rescored."""
        vector = self._vectors.get(company.company_id)
        if vector is None:
            vector = self._vectors[company.company_id] = self.explained(company)
        return vector

    def place(
        self,
        proposal: Proposal,
        company: Company,
        rank: int,
        scored: float,
        existing: dict[str, Match | Entry],
        why: Reasons,
    ) -> None:
        """The company at ``rank`` of the proposal's list (``scored`` as the matrix has it):
        new, rescored, or just moved. An entry not read (another company's, whose score this
        event did not change) can only move: its rank is patched."""
        current = existing.get(company.company_id)
        if current is None or current.status in CLOSED:
            self._enter(proposal, company, rank, current)
        elif isinstance(current, Entry):
            if current.rank != rank:
                self._patch(current, {"rank": rank}, rank=rank)
        else:
            self._rescore(proposal, company, rank, scored, current, why)

    def _enter(
        self, proposal: Proposal, company: Company, rank: int, current: Match | Entry | None
    ) -> None:
        """A new pair, or one back in the list after it left."""
        details, company_id = proposal.details, company.company_id
        score, factors = explain(self._whole(company), proposal.vector, self.weights.values)
        match = Match(
            match_id=current.match_id if current else match_id_of(),
            proposal_id=details.proposal_id,
            company_id=company_id,
            company_name=company.name,
            city_id=details.city_id,
            country=details.country,
            focus_areas=details.focus_areas,
            tags=details.tags,
            score=score,
            rank=rank,
            factors=factors,
            version=current.version + 1 if current else 1,
            status="proposed",
            cycle=current.cycle if current else None,
            weights_version=self.weights.version,
            created_at=self.now if not isinstance(current, Match) else current.created_at,
            updated_at=self.now,
        )
        if isinstance(current, Entry):
            # Back in the list, not read: everything but its creation time is set.
            fields = match.model_dump(exclude={"created_at", "version"})
            self._patch(current, fields, new_version=True, rank=rank)
        else:
            self.saves.append(match)
        self.events.append((match.match_id, MatchProposed(match=match.summary())))
        if details.status in ANSWERABLE:  # the list is no longer a preview
            self.offer(match)

    def offer(self, match: Match) -> None:
        """Offered to both sides: the company sees it and both hear of it from now on."""
        self.events.append((match.match_id, MatchOffered(match=match.summary())))

    def _rescore(
        self,
        proposal: Proposal,
        company: Company,
        rank: int,
        scored: float,
        current: Match,
        why: Reasons,
    ) -> None:
        details = proposal.details
        same_pair = (
            current.focus_areas == details.focus_areas
            and current.tags == details.tags
            and current.company_name == company.name
        )
        # Within rounding of the stored score, by the same weights: nothing changed.
        same_weights = current.weights_version == self.weights.version
        if same_pair and same_weights and abs(current.score - scored) < SAME_SCORE:
            if current.rank != rank:
                self._patch(Entry.of(current), {"rank": rank}, rank=rank)
            return
        score, factors = explain(self._whole(company), proposal.vector, self.weights.values)
        update: dict[str, object] = {
            "weights_version": self.weights.version,
            "score": score,
            "rank": rank,
            "factors": factors,
            "company_name": company.name,
            "focus_areas": details.focus_areas,
            "tags": details.tags,
        }
        moved = abs(current.score - score) >= UPDATE_THRESHOLD
        if moved:
            update |= {"version": current.version + 1, "updated_at": self.now}
        match = current.model_copy(update=update)
        if not moved:
            if match != current:
                self.saves.append(match)
            return
        changes = why(current.company_id) + factor_changes(current.factors, factors)
        self._save(
            match,
            MatchUpdated(match=match.summary(), previous_score=current.score, changes=changes),
        )

    def withdraw(self, match: Match | Entry, reason: str) -> None:
        event = MatchWithdrawn(
            match_id=match.match_id,
            proposal_id=match.proposal_id,
            company_id=match.company_id,
            reason=reason,
        )
        if isinstance(match, Entry):
            fields = {"status": "withdrawn", "rank": 0, "withdrawn_reason": reason}
            self._patch(match, {**fields, "updated_at": self.now}, new_version=True)
            self.events.append((match.match_id, event))
            return
        withdrawn = match.model_copy(
            update={
                "status": "withdrawn",
                "rank": 0,
                "version": match.version + 1,
                "updated_at": self.now,
                "withdrawn_reason": reason,
            }
        )
        self._save(withdrawn, event)
        if match.meeting_id:
            self.meetings[match.meeting_id] = reason

    def unrank(self, match: Match | Entry) -> None:
        """A closed entry keeps no place: ranks are dense over the list's open entries."""
        entry = match if isinstance(match, Entry) else Entry.of(match)
        self._patch(entry, {"rank": 0}, rank=0)

    def _patch(
        self, entry: Entry, fields: dict[str, object], new_version: bool = False, rank: int = 0
    ) -> None:
        self.patches.append(Patch(entry.match_id, fields, new_version))
        status = fields.get("status", entry.status)
        version = entry.version + new_version
        self.entries.append(replace(entry, status=status, rank=rank, version=version))  # type: ignore[arg-type]

    def _save(self, match: Match, event: EventPayload) -> None:
        self.saves.append(match)
        self.events.append((match.match_id, event))
