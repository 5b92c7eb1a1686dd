"""Placing accepted matches into a session around what it already holds: the scheduler's
problem (slots still to come, each side's free time, each slot's free tables) and, for each
match left out, why. The first schedule is the case with nothing placed yet. Pure: no I/O."""

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from services.matching.model import Match
from services.matching.sessions.model import MatchingSession, Meeting, Slot, Unplaced
from services.matching.sessions.repository import Busy
from services.matching.sessions.scheduler import Problem, Request, Schedule


@dataclass(frozen=True)
class Placement:
    problem: Problem
    free: dict[int, list[str]]
    """Slot -> the tables still free in it, in the session's order."""
    declared: dict[str, frozenset[int]]
    """Participant -> the slots it said it can attend that are still to come."""
    to_come: frozenset[int]


def _overlaps(slot: Slot, start: datetime, end: datetime) -> bool:
    return start < slot.end and slot.start < end


def placement(
    found: MatchingSession,
    accepted: list[Match],
    busy: Busy,
    placed: list[Meeting],
    now: datetime,
    *,
    late: bool,
) -> Placement:
    """Nobody is placed in a slot that has started, at a time it already meets someone (in
    any session), or at a table taken then. A late placement keeps every placed meeting and
    counts it against the sides' maximums; minimums were the first schedule's to meet."""
    to_come = frozenset(n for n, slot in enumerate(found.slots) if slot.start > now)
    declared = {who: frozenset(slots) & to_come for who, slots in found.availability.items()}
    requests = [Request(m.match_id, m.company_id, m.city_id, m.score) for m in accepted]
    available = {}
    for who in {p for request in requests for p in request.participants}:
        clashing = {
            n
            for n, slot in enumerate(found.slots)
            if any(_overlaps(slot, start, end) for start, end in busy.get(who, []))
        }
        available[who] = declared.get(who, to_come) - clashing
    free = {
        n: [
            table
            for table in found.tables
            if not any(m.table == table and _overlaps(slot, *_times(m)) for m in placed)
        ]
        for n, slot in enumerate(found.slots)
    }
    counts = Counter(p for meeting in placed for p in _sides(meeting))
    problem = Problem(
        requests=requests,
        slots=len(found.slots),
        tables=len(found.tables),
        available=available,
        min_meetings={} if late else found.min_meetings,
        max_meetings={who: max(0, most - counts[who]) for who, most in found.max_meetings.items()},
        capacity={n: len(tables) for n, tables in free.items()},
    )
    return Placement(problem, free, declared, to_come)


def _times(meeting: Meeting) -> tuple[datetime, datetime]:
    return meeting.slot.start, meeting.slot.end


def _sides(meeting: Meeting) -> tuple[str, str]:
    return (f"company:{meeting.company_id}", f"city:{meeting.city_id}")


def unplaced(plan: Placement, placed: Schedule, cancelled: list[Match]) -> list[Unplaced]:
    """Each request the schedule left out, with the first reason that explains it; then
    the matches whose meeting in this session an admin cancelled (not offered again)."""
    problem = plan.problem
    taken: dict[str, set[int]] = {}
    for request in problem.requests:
        if request.key in placed:
            for who in request.participants:
                taken.setdefault(who, set()).add(placed[request.key][0])
    used = Counter(slot for slot, _ in placed.values())
    return [
        Unplaced(
            match_id=request.key,
            company_id=request.company,
            city_id=request.city,
            **_why(plan, request, taken, used),
        )
        for request in problem.requests
        if request.key not in placed
    ] + [
        Unplaced(
            match_id=match.match_id, company_id=match.company_id, city_id=match.city_id,
            reason="cancelled_in_session",
            detail="an admin cancelled its meeting in this session: move a meeting instead",
        )
        for match in cancelled
    ]  # fmt: skip


def _why(
    plan: Placement, request: Request, taken: dict[str, set[int]], used: Counter[int]
) -> dict[str, str]:
    problem, (company, city) = plan.problem, request.participants
    if not plan.to_come:
        return {"reason": "no_slot_left", "detail": "every slot of the session has started"}
    said = {who: plan.declared.get(who, plan.to_come) for who in (company, city)}
    if not said[company] & said[city]:
        detail = f"{company} can attend slots {_list(said[company])}, {city} {_list(said[city])}"
        return {"reason": "outside_availability", "detail": detail}
    both = set(problem.open_slots(request)) - taken.get(company, set()) - taken.get(city, set())
    if not both:
        detail = "in every slot both can attend, one of them already meets someone"
        return {"reason": "no_free_slot_for_both", "detail": detail}
    if not [slot for slot in both if problem.free_tables(slot) > used[slot]]:
        detail = f"every table is taken in slots {_list(both)}, the ones free for both"
        return {"reason": "no_free_table", "detail": detail}
    for who in (company, city):
        if len(taken.get(who, set())) >= problem.max_meetings.get(who, problem.slots):
            return {"reason": "max_meetings_reached", "detail": f"{who} has its most meetings"}
    detail = "better-scored meetings took what it needed"
    return {"reason": "not_chosen", "detail": detail}


def _list(slots: Collection[int]) -> str:
    return "[" + ", ".join(str(slot) for slot in sorted(slots)) + "]" if slots else "none"
