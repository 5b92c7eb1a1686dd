"""The scheduler against a brute-force optimum on small random cases, and its constraints."""

import itertools
import random

import pytest

from services.matching.sessions.scheduler import (
    Problem,
    Request,
    Schedule,
    Unschedulable,
    schedule,
    total_score,
)


def brute_force(problem: Problem) -> float | None:
    """Every way to give each request a slot or none; the best that breaks no rule."""
    options = [[None, *problem.open_slots(r)] for r in problem.requests]
    best: float | None = None
    for choice in itertools.product(*options):
        placed = {
            r.key: (s, 0) for r, s in zip(problem.requests, choice, strict=True) if s is not None
        }
        if valid(problem, placed, check_tables=False):
            value = total_score(problem, placed)
            best = value if best is None or value > best else best
    return best


def valid(problem: Problem, placed: Schedule, check_tables: bool = True) -> bool:
    by_key = {r.key: r for r in problem.requests}
    per_slot: dict[int, int] = {}
    busy: set[tuple[str, int]] = set()
    tables: set[tuple[int, int]] = set()
    counts: dict[str, int] = {}
    for key, (slot, table) in placed.items():
        per_slot[slot] = per_slot.get(slot, 0) + 1
        if check_tables and ((slot, table) in tables or table >= problem.tables):
            return False
        tables.add((slot, table))
        for participant in by_key[key].participants:
            if (participant, slot) in busy:
                return False
            busy.add((participant, slot))
            counts[participant] = counts.get(participant, 0) + 1
    if any(n > problem.tables for n in per_slot.values()):
        return False
    return all(
        problem.min_meetings.get(p, 0)
        <= counts.get(p, 0)
        <= problem.max_meetings.get(p, problem.slots)
        for p in problem.participants()
    )


def random_problem(seed: int) -> Problem:
    rng = random.Random(seed)
    companies, cities = ["a", "b", "c"], ["x", "y"]
    pairs = rng.sample([(c, y) for c in companies for y in cities], rng.randint(2, 6))
    requests = [Request(f"{c}{y}", c, y, round(rng.uniform(0.1, 1.0), 3)) for c, y in pairs]
    slots = rng.randint(1, 3)
    available = {
        f"company:{c}": frozenset(s for s in range(slots) if rng.random() < 0.7)
        for c in companies
        if rng.random() < 0.5
    }
    return Problem(
        requests,
        slots,
        tables=rng.randint(1, 2),
        available=available,
        min_meetings={"city:x": rng.choice([0, 0, 1])},
        max_meetings={f"company:{c}": rng.choice([1, 2, 3]) for c in companies},
    )


class TestAgainstBruteForce:
    @pytest.mark.parametrize("seed", range(40))
    def test_the_schedule_is_valid_and_as_good_as_the_best(self, seed: int) -> None:
        problem = random_problem(seed)
        best = brute_force(problem)
        if best is None:
            with pytest.raises(Unschedulable):
                schedule(problem)
            return
        placed = schedule(problem)
        assert valid(problem, placed)
        assert total_score(problem, placed) == pytest.approx(best, abs=1e-6)


class TestConstraints:
    def test_nobody_is_in_two_places_at_once(self) -> None:
        requests = [Request("1", "a", "x", 0.9), Request("2", "a", "y", 0.8)]
        placed = schedule(Problem(requests, slots=1, tables=5))
        assert list(placed) == ["1"]

    def test_availability_is_respected(self) -> None:
        requests = [Request("1", "a", "x", 0.9)]
        placed = schedule(
            Problem(requests, slots=3, tables=1, available={"city:x": frozenset({2})})
        )
        assert placed == {"1": (2, 0)}

    def test_a_minimum_nobody_can_meet_is_unschedulable(self) -> None:
        requests = [Request("1", "a", "x", 0.9)]
        problem = Problem(
            requests,
            slots=1,
            tables=1,
            available={"company:a": frozenset()},
            min_meetings={"company:a": 1},
        )
        with pytest.raises(Unschedulable):
            schedule(problem)
