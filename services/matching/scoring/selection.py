"""Which companies enter a proposal's list: best scores first, vetoes out, exposure capped. Pure.

The exposure cap keeps one strong generalist from filling every list: a company appears
in at most ``cap`` lists at once, so the next-best specialists get seen too.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Scores = NDArray[np.float32]


@dataclass(frozen=True)
class ListRules:
    size: int = 10
    """Matches per proposal."""
    cap: int = 20
    """Lists one company may appear in at once."""
    floor: float = 0.05
    """Below this score a pair is no match at all."""


def refresh_list(
    scores: Scores,
    exposure: NDArray[np.int64],
    rules: ListRules,
    pinned: Sequence[int] = (),
    vetoed: Collection[int] = (),
) -> list[int]:
    """One proposal's list (company positions, best first) given every company's score.

    ``exposure`` counts each company's places in *other* lists; ``pinned`` companies (a
    side already answered) keep their place whatever the scores say.
    """
    blocked = exposure >= rules.cap
    blocked[list(vetoed)] = True
    return choose(scores, blocked, rules, pinned)


INCUMBENCY = np.float32(0.005)
"""How much better a newcomer must score to take an open entry's place."""


def favour(scores: Scores, incumbents: Sequence[int]) -> Scores:
    """The scores a list is chosen by: its open entries keep their place against a newcomer
    that is only marginally better, so the order in which registrations arrive (or a tie
    moving by a rounding error) never makes an entry flap proposed -> withdrawn -> proposed."""
    if not len(incumbents):
        return scores
    favoured = scores.copy()
    listable = favoured[list(incumbents)] >= 0
    favoured[np.asarray(incumbents)[listable]] += INCUMBENCY
    return favoured


def choose(
    scores: Scores, blocked: NDArray[np.bool_], rules: ListRules, pinned: Sequence[int] = ()
) -> list[int]:
    """The list: the pinned, then the best unblocked companies at or above the floor.

    Only the top few candidates are sorted (``argpartition``), so one list over ten
    thousand companies costs a fraction of a millisecond.
    """
    open_places = rules.size - len(pinned)
    chosen = list(pinned)
    if open_places > 0:
        candidates = np.where(blocked, np.float32(-np.inf), scores)
        candidates[list(pinned)] = -np.inf
        depth = min(open_places, len(candidates))
        top = np.argpartition(-candidates, depth - 1)[:depth] if depth else np.array([], int)
        top = top[np.argsort(-candidates[top], kind="stable")]
        chosen += [int(c) for c in top if candidates[c] >= rules.floor]
    return sorted(chosen, key=lambda company: -scores[company])


def select_all(
    scores: Scores, rules: ListRules, vetoed: NDArray[np.bool_] | None = None
) -> list[list[int]]:
    """Every proposal's list at once: pairs taken best first, so the cap costs the weakest.

    Only each proposal's top ``3 x size`` candidates compete; a proposal whose candidates
    are all capped gets a shorter list rather than a search through every company.
    """
    if vetoed is not None:
        scores = np.where(vetoed, np.float32(-1), scores)
    proposals, companies = scores.shape
    depth = min(companies, rules.size * 3)
    if depth == 0:
        return [[] for _ in range(proposals)]
    candidates = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
    candidate_scores = np.take_along_axis(scores, candidates, axis=1)
    order = np.argsort(-candidate_scores, axis=None, kind="stable")
    lists: list[list[int]] = [[] for _ in range(proposals)]
    exposure = np.zeros(companies, dtype=np.int64)
    for flat in order:
        proposal, slot = divmod(int(flat), depth)
        if candidate_scores[proposal, slot] < rules.floor:
            break
        company = int(candidates[proposal, slot])
        if len(lists[proposal]) < rules.size and exposure[company] < rules.cap:
            lists[proposal].append(company)
            exposure[company] += 1
    return lists
