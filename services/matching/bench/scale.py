"""The scale benchmark: a desk of 10,000 companies and 1,000 proposals generated from the
taxonomy, scored with the service's code: a full rescore, one company's update, and the
naive pairwise loop the vectorised scoring replaces."""

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from services.matching.scoring.factors import factor_values, total
from services.matching.scoring.features import (
    COUNTRIES,
    FINANCING,
    LOCAL_LANGUAGES,
    STAGES,
    CompanyFeatures,
    ProposalFeatures,
    Reference,
)
from services.matching.scoring.matrices import (
    ProposalMatrix,
    Space,
    company_matrix,
    proposal_matrix,
    score_matrix,
)
from services.matching.scoring.selection import ListRules, Scores, refresh_list, select_all
from services.matching.scoring.vectors import (
    CompanyVector,
    company_vector,
    proposal_vector,
    vectors,
)
from shared.contracts.vocabulary import taxonomy_document

UPDATES = 20


@dataclass(frozen=True)
class Measure:
    name: str
    seconds: float
    note: str = ""


class Generator:
    """Plausible profiles: words of the tags they claim, shared filler, a few references."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        areas = taxonomy_document()["focus_areas"]
        self.areas: dict[str, list[str]] = {area: spec["tags"] for area, spec in areas.items()}
        letters = "abcdefghijklmnopqrstuvwxyz"
        self.words = {
            tag: [*tag.split("_"), *(tag.replace("_", "") + a + b for a in "aeiou" for b in "st")]
            for tags in self.areas.values()
            for tag in tags
        }
        self.filler = ["".join(self.rng.choice(list(letters), 7)) for _ in range(600)]

    def _pick(self, options: list[str], low: int, high: int) -> list[str]:
        count = min(len(options), int(self.rng.integers(low, high + 1)))
        return [str(x) for x in self.rng.choice(options, count, replace=False)]

    def _text(self, tags: list[str], words: int) -> str:
        own = [word for tag in tags for word in self.words[tag]]
        # Drawn for the whole text at once: ten thousand profiles in seconds, not a minute.
        mine = self.rng.random(words) < 0.6
        own_words = self.rng.integers(len(own), size=words)
        filler_words = self.rng.integers(len(self.filler), size=words)
        return " ".join(
            own[own_words[n]] if mine[n] else self.filler[filler_words[n]] for n in range(words)
        )

    def _tags(self, areas: list[str], low: int, high: int) -> list[str]:
        return self._pick([tag for area in areas for tag in self.areas[area]], low, high)

    def company(self, number: int) -> CompanyFeatures:
        areas = self._pick(list(self.areas), 1, 3)
        tags = self._tags(areas, 2, 6)
        countries = self._pick(list(COUNTRIES), 0, 4)
        languages = {"ja", *self._pick(["en", "vi", "th", "id", "ms"], 0, 2)}
        references = tuple(
            Reference(
                title=self._text(tags, 5),
                country=str(self.rng.choice(countries or ["JP"])),
                description=self._text(tags, 10)
                + str(self.rng.choice([" feasibility study", " pilot", " JICA ODA", " plant"])),
                tags=tuple(self._pick(tags, 1, 2)),
            )
            for _ in range(int(self.rng.integers(0, 4)))
        )
        return CompanyFeatures(
            company_id=f"c{number}",
            name=f"Company {number}",
            focus_areas=frozenset(areas),
            tags=frozenset(tags),
            statement=self._text(tags, int(self.rng.integers(25, 60))),
            countries=frozenset(countries),
            languages=frozenset(languages),
            references=references,
        )

    def proposal(self, number: int) -> ProposalFeatures:
        areas = self._pick(list(self.areas), 1, 2)
        tags = self._tags(areas, 1, 3)
        return ProposalFeatures(
            proposal_id=f"p{number}",
            city_id=f"city{number % 31}",
            country=str(self.rng.choice([c for c in LOCAL_LANGUAGES if c != "JP"])),
            title=self._text(tags, 6),
            description=self._text(tags, int(self.rng.integers(15, 40))),
            focus_areas=frozenset(areas),
            tags=frozenset(tags),
            stage=str(self.rng.choice(STAGES)),
            financing=frozenset(self._pick(list(FINANCING), 1, 2)),
        )


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def run(companies: int, proposals: int, naive_pairs: int, seed: int = 7) -> list[Measure]:
    generate = Generator(seed)
    company_pool = [generate.company(n) for n in range(companies)]
    needs = [generate.proposal(n) for n in range(proposals)]
    return measure(company_pool, needs, naive_pairs, generate.rng)


def measure(
    company_pool: list[CompanyFeatures],
    needs: list[ProposalFeatures],
    naive_pairs: int,
    rng: np.random.Generator,
) -> list[Measure]:
    """The in-process figures on a given pool (the live benchmark passes its own)."""
    companies, proposals = len(company_pool), len(needs)
    started = time.perf_counter()
    stats, company_vectors = vectors(company_pool)
    space = Space.of(stats)
    proposal_vectors = [proposal_vector(proposal, stats) for proposal in needs]
    company_rows = company_matrix(company_vectors, space)
    proposal_rows = proposal_matrix(proposal_vectors, space)
    indexed = time.perf_counter() - started
    rules = ListRules()
    started = time.perf_counter()
    scores = score_matrix(proposal_rows, company_rows)
    lists = select_all(scores, rules)
    full = time.perf_counter() - started
    board = Board(scores, lists, rules)
    updated = [
        replace(company_pool[n], tags=company_pool[n].tags | {"flood_control"})
        for n in rng.choice(companies, UPDATES, replace=False)
    ]
    update = 0.0
    for changed in updated:
        started = time.perf_counter()
        board.rescore(company_vector(changed, stats), proposal_rows, space)
        update += time.perf_counter() - started
    pairs = [
        (int(rng.integers(companies)), int(rng.integers(proposals))) for _ in range(naive_pairs)
    ]
    naive = _timed(
        lambda: [total(factor_values(company_vectors[c], proposal_vectors[p])) for c, p in pairs]
    )
    every_pair = companies * proposals
    return [
        Measure("index build (vectors + matrices)", indexed, "once per rebuild; not a rescore"),
        Measure(f"full rescore {proposals:,} x {companies:,}", full, "score matrix + capped lists"),
        Measure(
            "one company's update",
            update / UPDATES,
            f"mean of {UPDATES}: its column + lists it touches",
        ),
        Measure(
            "naive pairwise loop, full",
            naive * every_pair / max(naive_pairs, 1),
            f"measured on {naive_pairs:,} pairs ({naive:.2f} s), extrapolated to {every_pair:,}",
        ),
    ]


class Board:
    """Every proposal's list in memory: what an incremental update has to keep right."""

    def __init__(self, scores: Scores, lists: list[list[int]], rules: ListRules) -> None:
        self.scores, self.lists, self.rules = scores, lists, rules
        self.exposure = np.zeros(scores.shape[1], dtype=np.int64)
        for chosen in lists:
            self.exposure[chosen] += 1

    def rescore(self, company: CompanyVector, proposals: ProposalMatrix, space: Space) -> None:
        row = company_matrix([company], space)
        position = int(company.company_id[1:])
        column = score_matrix(proposals, row)[:, 0]
        self.scores[:, position] = column
        for proposal in self._touched(position, column):
            self.exposure[self.lists[proposal]] -= 1
            self.lists[proposal] = refresh_list(self.scores[proposal], self.exposure, self.rules)
            self.exposure[self.lists[proposal]] += 1

    def _touched(self, position: int, column: Scores) -> list[int]:
        """Lists the company is in, and lists its new score would enter."""
        touched = []
        for proposal, chosen in enumerate(self.lists):
            cut = (
                self.scores[proposal, chosen[-1]]
                if len(chosen) >= self.rules.size
                else self.rules.floor
            )
            if position in chosen or column[proposal] > cut:
                touched.append(proposal)
        return touched
