"""What one event does to the matches, collected before anything is written. Pure: no I/O.

Every placement, withdrawal and re-ranking is gathered here, so the event writes its
matches in one round trip and its events in another.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from services.matching.index.pool import Company, Proposal
from services.matching.model import CLOSED, Match, match_id_of
from services.matching.readmodel import factor_changes
from services.matching.scoring.factors import explain
from shared.contracts import EventPayload
from shared.contracts.matching import MatchProposed, MatchUpdated, MatchWithdrawn

UPDATE_THRESHOLD = 0.005
"""Smaller moves (pool statistics drifting) are stored but not announced."""
SAME_SCORE = 2e-4
Reasons = Callable[[str], list[str]]


@dataclass
class Changes:
    now: datetime
    saves: list[Match] = field(default_factory=list)
    events: list[tuple[str, EventPayload]] = field(default_factory=list)
    meetings: dict[str, str] = field(default_factory=dict)
    """Meetings of withdrawn matches, with the reason: cancelled if they have not started."""

    def place(
        self,
        proposal: Proposal,
        company: Company,
        rank: int,
        scored: float,
        existing: dict[str, Match],
        why: Reasons,
    ) -> None:
        """The company at ``rank`` of the proposal's list (``scored`` as the matrix has it):
        new, rescored, or just moved."""
        company_id = company.features.company_id
        current = existing.get(company_id)
        details = proposal.details
        if current is None or current.status in CLOSED:
            score, factors = explain(company.vector, proposal.vector)
            match = Match(
                match_id=current.match_id if current else match_id_of(),
                proposal_id=details.proposal_id,
                company_id=company_id,
                company_name=company.features.name,
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
                created_at=current.created_at if current else self.now,
                updated_at=self.now,
            )
            self._save(match, MatchProposed(match=match.summary()))
            return
        same_pair = (
            current.focus_areas == details.focus_areas
            and current.tags == details.tags
            and current.company_name == company.features.name
        )
        # Within rounding of the stored score: nothing about the pair changed.
        if same_pair and abs(current.score - scored) < SAME_SCORE:
            if current.rank != rank:
                self.saves.append(current.model_copy(update={"rank": rank}))
            return
        score, factors = explain(company.vector, proposal.vector)
        update: dict[str, object] = {
            "score": score,
            "rank": rank,
            "factors": factors,
            "company_name": company.features.name,
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
        changes = why(company_id) + factor_changes(current.factors, factors)
        self._save(
            match,
            MatchUpdated(match=match.summary(), previous_score=current.score, changes=changes),
        )

    def withdraw(self, match: Match, reason: str) -> None:
        withdrawn = match.model_copy(
            update={
                "status": "withdrawn",
                "rank": 0,
                "version": match.version + 1,
                "updated_at": self.now,
                "withdrawn_reason": reason,
            }
        )
        event = MatchWithdrawn(
            match_id=match.match_id,
            proposal_id=match.proposal_id,
            company_id=match.company_id,
            reason=reason,
        )
        self._save(withdrawn, event)
        if match.meeting_id:
            self.meetings[match.meeting_id] = reason

    def unrank(self, match: Match) -> None:
        """A closed entry keeps no place: ranks are dense over the list's open entries."""
        self.saves.append(match.model_copy(update={"rank": 0}))

    def _save(self, match: Match, event: EventPayload) -> None:
        self.saves.append(match)
        self.events.append((match.match_id, event))
