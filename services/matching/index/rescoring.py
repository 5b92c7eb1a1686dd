"""Rescoring what an event touches: one proposal's list, or the lists one company is in
or would now enter. Every change leaves as match.proposed / updated / withdrawn."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from services.matching.model import CLOSED, MUTUAL, OPEN, WAITING, Match, match_id_of
from services.matching.readmodel import company_features, factor_changes, proposal_features
from services.matching.repository import MatchRepository, ReadModels
from services.matching.scoring.factors import explain
from services.matching.scoring.matrices import (
    CompanyMatrix,
    Space,
    company_matrix,
    proposal_matrix,
    score_matrix,
)
from services.matching.scoring.selection import ListRules, Scores, refresh_list
from services.matching.scoring.vectors import (
    CompanyVector,
    CorpusStats,
    ProposalVector,
    proposal_vector,
    vectors,
)
from services.matching.sessions.model import fiscal_year
from shared.contracts.companies import CompanyProfile
from shared.contracts.matching import MatchFactor, MatchProposed, MatchUpdated, MatchWithdrawn
from shared.contracts.proposals import ProposalDetails
from shared.platform import UnitOfWork

Reasons = Callable[[str], list[str]]
"""Company id -> why its match changed."""
UPDATE_THRESHOLD = 0.005
"""Smaller moves (pool statistics drifting) are stored but not announced."""
VETOED_AGAIN = frozenset({"declined", "expired"})


@dataclass(frozen=True)
class Pool:
    """The company pool as scoring sees it, loaded inside the event's transaction."""

    profiles: list[CompanyProfile]
    stats: CorpusStats
    vectors: list[CompanyVector]
    space: Space
    matrix: CompanyMatrix
    position: dict[str, int]

    def scores(self, proposal: ProposalDetails) -> tuple[Scores, ProposalVector]:
        vector = proposal_vector(proposal_features(proposal), self.stats)
        return score_matrix(proposal_matrix([vector], self.space), self.matrix)[0], vector

    def suspended(self) -> set[int]:
        return {n for n, profile in enumerate(self.profiles) if profile.status == "suspended"}


@dataclass(frozen=True)
class Matchmaker:
    read_models: ReadModels
    matches: MatchRepository
    rules: ListRules

    async def pool(self, uow: UnitOfWork) -> Pool:
        profiles = await self.read_models.all_companies(uow.session)
        stats, company_vectors = vectors([company_features(p) for p in profiles])
        space = Space.of(stats)
        return Pool(
            profiles,
            stats,
            company_vectors,
            space,
            company_matrix(company_vectors, space),
            {profile.company_id: n for n, profile in enumerate(profiles)},
        )

    async def rescore_proposal(
        self, proposal: ProposalDetails, why: Reasons, uow: UnitOfWork
    ) -> None:
        await self.refresh(proposal, await self.pool(uow), why, uow)

    async def rescore_company(self, company_id: str, why: Reasons, uow: UnitOfWork) -> None:
        """The lists the company is in, and those its new score would enter."""
        pool = await self.pool(uow)
        for proposal in await self._touched_by(company_id, pool, uow):
            await self.refresh(proposal, pool, why, uow)

    async def close_proposal(self, proposal_id: str, reason: str, uow: UnitOfWork) -> None:
        for match in await self.matches.of_proposal(proposal_id, uow.session):
            if match.status in OPEN:
                await self._withdraw(match, reason, uow)

    async def _touched_by(
        self, company_id: str, pool: Pool, uow: UnitOfWork
    ) -> list[ProposalDetails]:
        proposals = await self.read_models.matchable_proposals(uow.session)
        position = pool.position.get(company_id)
        if not proposals or position is None:
            return []
        one = company_matrix([pool.vectors[position]], pool.space)
        rows = [proposal_vector(proposal_features(p), pool.stats) for p in proposals]
        column = score_matrix(proposal_matrix(rows, pool.space), one)[:, 0]
        touched = []
        for proposal, score in zip(proposals, column, strict=True):
            listed = await self.matches.of_proposal(proposal.proposal_id, uow.session)
            if self._touches(company_id, float(score), listed):
                touched.append(proposal)
        return touched

    def _touches(self, company_id: str, score: float, listed: list[Match]) -> bool:
        current = [m for m in listed if m.status in OPEN | MUTUAL]
        if any(m.company_id == company_id for m in current):
            return True
        if len(current) < self.rules.size:
            return score >= self.rules.floor
        return score > min(m.score for m in current)

    async def refresh(
        self, proposal: ProposalDetails, pool: Pool, why: Reasons, uow: UnitOfWork
    ) -> None:
        """Choose the proposal's list again and publish every difference."""
        scores, vector = pool.scores(proposal)
        existing = {
            m.company_id: m
            for m in await self.matches.of_proposal(proposal.proposal_id, uow.session)
        }
        exposure = await self.matches.exposure(uow.session)
        counts = np.zeros(len(pool.profiles), dtype=np.int64)
        for company_id, count in exposure.items():
            own = existing.get(company_id)
            if company_id in pool.position:
                counts[pool.position[company_id]] = count - (own is not None and own.status in OPEN)
        pinned = [
            pool.position[c]
            for c, m in existing.items()
            if m.status in WAITING | MUTUAL and c in pool.position
        ]
        met = await self.matches.met_this_cycle(
            proposal.city_id, fiscal_year(datetime.now(UTC)), uow.session
        )
        vetoed = (
            pool.suspended()
            | {
                pool.position[c]
                for c, m in existing.items()
                if m.status in VETOED_AGAIN and c in pool.position
            }
            | {pool.position[c] for c in met if c in pool.position and c not in existing}
        )
        chosen = refresh_list(scores, counts, self.rules, pinned, vetoed)
        for rank, position in enumerate(chosen, start=1):
            score, factors = explain(pool.vectors[position], vector)
            profile = pool.profiles[position]
            await self._place(
                proposal, profile, rank, score, factors, existing.get(profile.company_id), why, uow
            )
        kept = {pool.profiles[position].company_id for position in chosen}
        for company_id, match in existing.items():
            if match.status in OPEN and company_id not in kept:
                reason = (
                    "company suspended"
                    if pool.position.get(company_id) in pool.suspended()
                    else "fell below the cut"
                )
                await self._withdraw(match, reason, uow)

    async def _place(
        self,
        proposal: ProposalDetails,
        company: CompanyProfile,
        rank: int,
        score: float,
        factors: list[MatchFactor],
        current: Match | None,
        why: Reasons,
        uow: UnitOfWork,
    ) -> None:
        now = datetime.now(UTC)
        if current is None or current.status in CLOSED:
            match = Match(
                match_id=match_id_of(proposal.proposal_id, company.company_id),
                proposal_id=proposal.proposal_id,
                company_id=company.company_id,
                company_name=company.name_en,
                city_id=proposal.city_id,
                country=proposal.country,
                focus_areas=proposal.focus_areas,
                tags=proposal.tags,
                score=score,
                rank=rank,
                factors=factors,
                version=current.version + 1 if current else 1,
                status="proposed",
                created_at=current.created_at if current else now,
                updated_at=now,
            )
            await self.matches.save(match, uow.session)
            await uow.publish(match.match_id, MatchProposed(match=match.summary()))
            return
        update = {
            "score": score,
            "rank": rank,
            "factors": factors,
            "company_name": company.name_en,
            "focus_areas": proposal.focus_areas,
            "tags": proposal.tags,
        }
        moved = abs(current.score - score) >= UPDATE_THRESHOLD
        if moved:
            update |= {"version": current.version + 1, "updated_at": now}
        match = current.model_copy(update=update)
        if match != current:
            await self.matches.save(match, uow.session)
        if moved:
            changes = why(company.company_id) + factor_changes(current.factors, factors)
            await uow.publish(
                match.match_id,
                MatchUpdated(match=match.summary(), previous_score=current.score, changes=changes),
            )

    async def _withdraw(self, match: Match, reason: str, uow: UnitOfWork) -> None:
        now = datetime.now(UTC)
        withdrawn = match.model_copy(
            update={"status": "withdrawn", "version": match.version + 1, "updated_at": now}
        )
        await self.matches.save(withdrawn, uow.session)
        await uow.publish(
            match.match_id,
            MatchWithdrawn(
                match_id=match.match_id,
                proposal_id=match.proposal_id,
                company_id=match.company_id,
                reason=reason,
            ),
        )
