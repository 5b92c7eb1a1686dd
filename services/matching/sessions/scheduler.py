"""The business-matching scheduler: accepted matches into (slot, table) pairs. Pure.

An integer programme (scipy's HiGHS through ``milp``): one 0/1 variable per (match, slot)
where both sides are available. It maximises the total score of the meetings held, with
no company or city in two meetings of one slot, no more meetings in a slot than tables,
each match met at most once, and each participant's min/max meeting counts. Tables are
interchangeable, so they are dealt out per slot after solving.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from shared.errors import DomainError


class Unschedulable(DomainError):
    """The constraints (minimum meetings, availability) admit no schedule."""


@dataclass(frozen=True)
class Request:
    key: str
    company: str
    city: str
    score: float

    @property
    def participants(self) -> tuple[str, str]:
        return (f"company:{self.company}", f"city:{self.city}")


@dataclass(frozen=True)
class Problem:
    requests: list[Request]
    slots: int
    tables: int
    available: Mapping[str, frozenset[int]] = field(default_factory=dict)
    """Participant -> slots it can attend; a participant not named can attend every slot."""
    min_meetings: Mapping[str, int] = field(default_factory=dict)
    max_meetings: Mapping[str, int] = field(default_factory=dict)
    capacity: Mapping[int, int] = field(default_factory=dict)
    """Slot -> tables still free in it (meetings already placed keep theirs); absent: all."""

    def free_tables(self, slot: int) -> int:
        return self.capacity.get(slot, self.tables)

    def open_slots(self, request: Request) -> list[int]:
        every = frozenset(range(self.slots))
        company, city = (self.available.get(p, every) for p in request.participants)
        return sorted(company & city & every)

    def participants(self) -> set[str]:
        return {p for request in self.requests for p in request.participants}


Schedule = dict[str, tuple[int, int]]
"""Request key -> (slot, table), the table counted among the slot's free ones."""


def schedule(problem: Problem) -> Schedule:
    # Imported here: scipy.optimize (and scipy.sparse, ~13 MB of it) add ~30 MB to the
    # service's memory, and a schedule is solved a few times per event, not while it idles.
    from scipy.optimize import Bounds, LinearConstraint, milp  # type: ignore[import-untyped]
    from scipy.sparse import lil_matrix  # type: ignore[import-untyped]

    variables = [
        (r, s) for r, request in enumerate(problem.requests) for s in problem.open_slots(request)
    ]
    if not variables:
        if any(problem.min_meetings.get(p, 0) > 0 for p in problem.participants()):
            raise Unschedulable("nobody can meet, yet some participant needs a meeting")
        return {}
    rows, lower, upper = _constraints(problem, variables)
    matrix = lil_matrix((len(rows), len(variables)))
    for row, columns in enumerate(rows):
        for column in columns:
            matrix[row, column] = 1
    scores = np.array([problem.requests[r].score for r, _ in variables])
    # A tiny bonus per meeting: among equally scored schedules, prefer more meetings.
    result = milp(
        c=-(scores + 1e-6),
        constraints=LinearConstraint(matrix.tocsr(), lower, upper),
        integrality=np.ones(len(variables)),
        bounds=Bounds(0, 1),
    )
    if result.x is None:
        raise Unschedulable(f"no schedule satisfies the constraints ({result.message})")
    chosen = [variables[n] for n, value in enumerate(result.x) if value > 0.5]
    return _deal_tables(problem, chosen)


def _constraints(
    problem: Problem, variables: list[tuple[int, int]]
) -> tuple[list[list[int]], list[float], list[float]]:
    groups: dict[tuple[str, ...], list[int]] = {}
    for column, (r, s) in enumerate(variables):
        request = problem.requests[r]
        groups.setdefault(("match", str(r)), []).append(column)
        groups.setdefault(("slot", str(s)), []).append(column)
        for participant in request.participants:
            groups.setdefault(("busy", participant, str(s)), []).append(column)
            groups.setdefault(("count", participant), []).append(column)
    rows, lower, upper = [], [], []
    for key, columns in groups.items():
        low, high = _limits(problem, key)
        rows.append(columns)
        lower.append(low)
        upper.append(high)
    for participant in problem.participants():
        if ("count", participant) not in groups and problem.min_meetings.get(participant, 0) > 0:
            raise Unschedulable(f"{participant} is available in no slot its matches could use")
    return rows, lower, upper


def _limits(problem: Problem, key: tuple[str, ...]) -> tuple[float, float]:
    kind = key[0]
    if kind == "slot":
        return 0, problem.free_tables(int(key[1]))
    if kind == "count":
        participant = key[1]
        return problem.min_meetings.get(participant, 0), problem.max_meetings.get(
            participant, problem.slots
        )
    return 0, 1  # one meeting per match; one meeting per participant and slot


def _deal_tables(problem: Problem, chosen: list[tuple[int, int]]) -> Schedule:
    tables_used: dict[int, int] = {}
    placed: Schedule = {}
    for r, s in sorted(chosen, key=lambda pair: (pair[1], -problem.requests[pair[0]].score)):
        table = tables_used.get(s, 0)
        tables_used[s] = table + 1
        placed[problem.requests[r].key] = (s, table)
    return placed


def total_score(problem: Problem, placed: Schedule) -> float:
    scores = {request.key: request.score for request in problem.requests}
    return sum(scores[key] for key in placed)
