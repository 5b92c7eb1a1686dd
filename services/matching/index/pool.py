"""The company pool and the open proposals in memory, with every pair's score. Pure: no I/O.

A company event replaces one column of the score matrix (the company against every open
proposal), a proposal event one row. The corpus statistics (tag rarity, BM25 weights) are
a snapshot taken at the last ``refresh``: between refreshes a company's vector is computed
under that snapshot, so one event never moves every other score.
"""

import time
import zlib
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray
from pydantic import TypeAdapter

from services.matching.index.columns import CompanyColumns
from services.matching.readmodel import company_features, proposal_features
from services.matching.scoring.features import CompanyFeatures, Reference, term_counts
from services.matching.scoring.matrices import (
    NOT_LISTABLE,
    CompanyMatrix,
    ProposalMatrix,
    Space,
    listable_matrix,
    proposal_matrix,
)
from services.matching.scoring.packed import CountRows, Interned, Packed, Runs
from services.matching.scoring.vectors import (
    CompanyVector,
    CorpusStats,
    ProposalVector,
    company_vector,
    proposal_vector,
    term_weights,
)
from services.matching.scoring.weights import HAND_SET, Weights
from shared.contracts.companies import CompanyProfile
from shared.contracts.proposals import ProposalDetails

EMPTY_PROPOSAL = ProposalVector("", "", {}, {}, {}, frozenset(), {})
"""What a free row of the proposal matrix holds: it scores zero with everyone."""
UNWEIGHTED: Packed[float] = Packed.weights({})
"""The terms of a company's kept vector: their weights are computed from its counts under
the pool's statistics whenever its row is built (``weighted``), and live in the term
matrix only."""
NO_EVIDENCE: list[str] = []
"""The evidence of a kept vector: an explanation rebuilds it from the profile
(``explained``). Shared by every company, never changed."""
SCORE_SLICE = 128
"""Proposals scored at once in a full rescore."""
PROFILES = TypeAdapter(CompanyProfile)
"""A profile to and from JSON bytes of its own size (orjson's keep a spare 8 KB each)."""


@dataclass(frozen=True)
class Scoring:
    """What scores the pool besides its companies and proposals: the weights, and the
    track record each company's own profile does not hold."""

    weights: Weights = HAND_SET
    record: Mapping[str, tuple[Reference, ...]] = field(default_factory=dict)

    def features(self, profile: CompanyProfile) -> CompanyFeatures:
        features = company_features(profile)
        carried_out = self.record.get(profile.company_id, ())
        return replace(features, references=features.references + carried_out)


@dataclass(slots=True)
class Company:
    """What the index keeps of one company, compactly: at 10,000 companies whole profiles,
    features and term dicts beside the vectors made matching 281 MB (RSS, idle)."""

    company_id: str
    name: str
    version: int
    tags: frozenset[str]
    """Every tag it claims (declared and its references'), for the pool's statistics."""
    areas: frozenset[str]
    vector: CompanyVector
    """Only what its matrix rows need: no term weights (``UNWEIGHTED``), no evidence
    (``NO_EVIDENCE``), equal sets and strengths shared with other companies."""
    blocked: bool
    """Suspended, or gone from the read model: never listed."""
    stored: bool = True
    """False once the read model no longer holds it."""


@dataclass
class Proposal:
    details: ProposalDetails
    vector: ProposalVector
    row: int


@dataclass
class Pool:
    stats: CorpusStats = field(default_factory=lambda: CorpusStats.of([]))
    companies: list[Company] = field(default_factory=list)
    position: dict[str, int] = field(default_factory=dict)
    proposals: dict[str, Proposal] = field(default_factory=dict)
    changed: int = 0
    """Companies put since the statistics were last refreshed."""
    refreshed_at: float = field(default_factory=time.monotonic)
    scoring: Scoring = field(default_factory=Scoring)

    def __post_init__(self) -> None:
        self.space = Space.of(self.stats)
        self.columns = CompanyColumns(self.space)
        self.rows: list[str | None] = []
        self.scores: NDArray[np.float32] = np.full((64, 1024), NOT_LISTABLE, np.float32)
        self._proposal_matrix: ProposalMatrix | None = None
        self._blocked: NDArray[np.bool_] | None = None
        self._same: Interned[frozenset[str]] = Interned()
        self.counts = CountRows()
        """Each company's term counts, by position (``counted``)."""
        self.documents = Runs("B")
        """Each company's profile as the read model holds it, by position, as compressed
        JSON (half its size): an update is checked and applied against it without reading
        the database, and it is read back only then (``profile``, ~20 µs)."""
        self._bare_name_sets: dict[frozenset[str], dict[str, list[str]]] = {}
        self._bare_strength_sets: dict[
            frozenset[tuple[str, float]], dict[str, tuple[float, list[str]]]
        ] = {}

    # Companies: one column each.
    def put_company(self, profile: CompanyProfile) -> int:
        entry, counts = self._entry(profile)
        blocked = entry.blocked
        position = self.position.get(profile.company_id)
        if position is None:
            position = len(self.companies)
            self.position[entry.company_id] = position
            self.companies.append(entry)
        else:
            self.companies[position] = entry
        self._keep(position, profile, counts)
        self.changed += 1
        self._block(position, blocked)
        row = self.columns.put(position, self.weighted(entry))
        self._grow(len(self.rows), position + 1)
        column = listable_matrix(self.proposal_matrix(), row, self.weights)[:, 0]
        self.scores[: len(self.rows), position] = column
        return position

    def forget_company(self, company_id: str) -> None:
        """A company the read model no longer holds (an aborted registration, a cleared
        read model): its column stays but it is never listed."""
        position = self.position.get(company_id)
        if position is not None:
            self.companies[position].blocked = True
            self.companies[position].stored = False
            self._block(position, True)

    def _block(self, position: int, blocked: bool) -> None:
        """Kept in step with the companies: rebuilding it per event cost a pass over them."""
        if self._blocked is None:
            return
        if position < len(self._blocked):
            self._blocked[position] = blocked
        elif position == len(self._blocked):
            self._blocked = np.append(self._blocked, blocked)
        else:
            self._blocked = None

    def stored(self, company_id: str) -> CompanyProfile | None:
        """The company's profile as the read model holds it (None if it holds none)."""
        position = self.position.get(company_id)
        company = None if position is None else self.companies[position]
        return self.profile(company) if company is not None and company.stored else None

    def profile(self, company: Company) -> CompanyProfile:
        document = self.documents[self.position[company.company_id]]
        return PROFILES.validate_json(zlib.decompress(document))

    def _keep(self, position: int, profile: CompanyProfile, counts: Mapping[str, int]) -> None:
        """What the company's record does not hold: its term counts and its profile."""
        self.counts.put(position, counts)
        document = array("B")
        document.frombytes(zlib.compress(PROFILES.dump_json(profile), 1))
        self.documents.put(position, document)

    def _entry(self, profile: CompanyProfile) -> tuple[Company, Mapping[str, int]]:
        """The company's compact record, and its term counts (kept in ``counts``).
        Evidence (reference titles) and term weights, kept for every company, were ~17 MB
        at 10,000 companies: they are derived again when used (``explained``,
        ``weighted``)."""
        features = self.scoring.features(profile)
        counts = term_counts(features.text)
        vector = company_vector(features, self.stats, {})
        same = self._same
        vector = replace(
            vector,
            terms=UNWEIGHTED,
            tags=same(vector.tags),
            areas=same(vector.areas),
            declared_countries=same(vector.declared_countries),
            languages=same(vector.languages),
            referenced_countries=self._bare_names(vector.referenced_countries),
            stages=self._bare_strengths(vector.stages),
            financing=self._bare_strengths(vector.financing),
            history=self._bare_names(vector.history),
        )
        company = Company(
            company_id=profile.company_id,
            name=profile.name_en,
            version=profile.version,
            tags=same(features.all_tags),
            areas=vector.areas,
            vector=vector,
            blocked=profile.status == "suspended",
        )
        return company, counts

    def _bare_names(self, evidence: Mapping[str, list[str]]) -> dict[str, list[str]]:
        """The names without their evidence, one shared dict per set of names."""
        bare = dict.fromkeys(evidence, NO_EVIDENCE)
        return self._bare_name_sets.setdefault(frozenset(evidence), bare)

    def _bare_strengths(
        self, shown: Mapping[str, tuple[float, list[str]]]
    ) -> dict[str, tuple[float, list[str]]]:
        """Each name's strength without its evidence, one shared dict per set of them."""
        key = frozenset((name, strength) for name, (strength, _) in shown.items())
        bare = {name: (strength, NO_EVIDENCE) for name, (strength, _) in shown.items()}
        return self._bare_strength_sets.setdefault(key, bare)

    def weighted(self, company: Company) -> CompanyVector:
        """The company's vector with its terms weighted under the pool's statistics: what
        its row of the term matrix holds."""
        counts = self.counted(company)
        weights = term_weights(counts, self.stats).values()
        return replace(company.vector, terms=counts.alike(weights))

    def explained(self, company: Company) -> CompanyVector:
        """The company's whole vector, evidence included, as scoring it made it: rebuilt
        from its profile when a match is explained (once per placed or rescored match)."""
        features = self.scoring.features(self.profile(company))
        return company_vector(features, self.stats, self.counted(company))

    def counted(self, company: Company) -> Packed[int]:
        """The company's term counts, in the order its text gave them."""
        return self.counts[self.position[company.company_id]]

    def blocked(self) -> NDArray[np.bool_]:
        """Suspended or gone companies, by position (a fresh copy the caller may change)."""
        if self._blocked is None or len(self._blocked) != self.size:
            self._blocked = np.fromiter((c.blocked for c in self.companies), np.bool_, self.size)
        return self._blocked.copy()

    @property
    def size(self) -> int:
        return len(self.companies)

    def company_id(self, position: int) -> str:
        return self.companies[position].company_id

    # Proposals: one row each.
    def put_proposal(self, details: ProposalDetails) -> Proposal:
        current = self.proposals.get(details.proposal_id)
        row = current.row if current else self._free_row(details.proposal_id)
        vector = proposal_vector(proposal_features(details), self.stats)
        proposal = Proposal(details, vector, row)
        self.proposals[details.proposal_id] = proposal
        self._proposal_matrix = None
        one = proposal_matrix([vector], self.space)
        self.scores[row, : self.size] = listable_matrix(one, self.company_matrix(), self.weights)[0]
        return proposal

    def drop_proposal(self, proposal_id: str) -> None:
        dropped = self.proposals.pop(proposal_id, None)
        if dropped is not None:
            self.rows[dropped.row] = None
            self.scores[dropped.row, :] = NOT_LISTABLE
            self._proposal_matrix = None

    def row_scores(self, proposal_id: str) -> NDArray[np.float32]:
        return self.scores[self.proposals[proposal_id].row, : self.size]

    def column(self, position: int) -> dict[str, float]:
        """The company's score in every open proposal."""
        return {
            proposal_id: float(self.scores[proposal.row, position])
            for proposal_id, proposal in self.proposals.items()
        }

    def _free_row(self, proposal_id: str) -> int:
        row = next((n for n, taken in enumerate(self.rows) if taken is None), len(self.rows))
        if row == len(self.rows):
            self.rows.append(proposal_id)
            self._grow(len(self.rows), self.size)
        self.rows[row] = proposal_id
        return row

    def _grow(self, rows: int, columns: int) -> None:
        have_rows, have_columns = self.scores.shape
        if rows <= have_rows and columns <= have_columns:
            return
        grown = np.full(
            (
                max(rows, have_rows * (2 if rows > have_rows else 1)),
                max(columns, have_columns * (2 if columns > have_columns else 1)),
            ),
            NOT_LISTABLE,
            np.float32,
        )
        grown[:have_rows, :have_columns] = self.scores
        self.scores = grown

    # Matrices of the whole pool.
    def proposal_matrix(self) -> ProposalMatrix:
        if self._proposal_matrix is None:
            vectors = [
                self.proposals[pid].vector if pid is not None else EMPTY_PROPOSAL
                for pid in self.rows
            ]
            self._proposal_matrix = proposal_matrix(vectors, self.space)
        return self._proposal_matrix

    def company_matrix(self) -> CompanyMatrix:
        return self.columns.matrix(self.size)

    # Statistics.
    def stale(self, share: float, seconds: float) -> bool:
        """Enough of the pool changed, or long enough passed, to refresh the statistics."""
        if not self.changed:
            return False
        aged = time.monotonic() - self.refreshed_at >= seconds
        return aged or self.changed >= max(1, share * self.size)

    def refresh(self) -> None:
        """New statistics from the pool as it is, every vector under them, every score."""
        self.stats = CorpusStats.of_counted(
            (c.tags, c.areas, self.counts[n]) for n, c in enumerate(self.companies) if not c.blocked
        )
        self.space = Space.of(self.stats)
        self.columns = CompanyColumns.of(self.space, [self.weighted(c) for c in self.companies])
        for proposal in self.proposals.values():
            proposal.vector = proposal_vector(proposal_features(proposal.details), self.stats)
        self._proposal_matrix = None
        self._blocked = None
        self._grow(len(self.rows), self.size)
        self._score_all()
        self.changed = 0
        self.refreshed_at = time.monotonic()

    def _score_all(self) -> None:
        """Every pair, a slice of proposals at a time: the factor matrices of all pairs at
        once would need several times the memory of the scores themselves."""
        proposals, companies = self.proposal_matrix(), self.company_matrix()
        for start in range(0, len(self.rows), SCORE_SLICE):
            rows = slice(start, min(start + SCORE_SLICE, len(self.rows)))
            self.scores[rows, : self.size] = listable_matrix(
                _rows(proposals, rows), companies, self.weights
            )

    @property
    def weights(self) -> Mapping[str, float]:
        return self.scoring.weights.values

    @classmethod
    def of(
        cls,
        profiles: Iterable[CompanyProfile],
        proposals: Iterable[ProposalDetails],
        scoring: Scoring | None = None,
    ) -> "Pool":
        """Built once from the read models: every text tokenised once, every score at once."""
        pool = cls(scoring=scoring or Scoring())
        for profile in profiles:
            pool.add(profile)
        return pool.built(proposals)

    def add(self, profile: CompanyProfile) -> None:
        """A company of a pool being built (``of``, or a stream of the read model): its
        terms are weighed by ``built``, under statistics of the whole pool."""
        entry, counts = self._entry(profile)
        self.position[entry.company_id] = len(self.companies)
        self._keep(len(self.companies), profile, counts)
        self.companies.append(entry)

    def built(self, proposals: Iterable[ProposalDetails]) -> "Pool":
        """The pool whose companies were added, with these proposals, scored."""
        for details in proposals:
            self.proposals[details.proposal_id] = Proposal(details, EMPTY_PROPOSAL, len(self.rows))
            self.rows.append(details.proposal_id)
        self.changed = len(self.companies)
        self.refresh()
        return self


def _rows(matrix: ProposalMatrix, rows: slice) -> ProposalMatrix:
    return ProposalMatrix(
        ids=matrix.ids[rows],
        tags=matrix.tags[rows],
        areas=matrix.areas[rows],
        terms=matrix.terms.slice(rows),
        countries=matrix.countries[rows],
        local_languages=matrix.local_languages[rows],
        stages=matrix.stages[rows],
        financing=matrix.financing[rows],
    )
