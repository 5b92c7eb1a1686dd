"""What a relay has published, as one small document: a high mark and a list of gaps.

Every outbox row carries a sequence number from a dense counter (``Outbox.allocate``).
Everything at or below ``published`` is settled (on the broker, or a tombstone) except the
sequences listed in ``gaps``: numbers the relay passed without seeing their row (its
transaction had not committed yet, or aborted) or whose row the broker did not
acknowledge. Each gap remembers when it was first missing; the relay reads gaps again on
every pass, so a row that commits late inside an already published range is published
when it appears, and a gap older than the horizon is closed with a tombstone (see
``shared.relay``). Pure: no I/O.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from shared.mongo import Document


@dataclass(frozen=True)
class Gap:
    """Sequences ``low``..``high`` (inclusive) not yet settled, missing since ``since``."""

    low: int
    high: int
    since: datetime

    def to_document(self) -> list[object]:
        return [self.low, self.high, self.since]


@dataclass(frozen=True)
class Cursor:
    published: int = 0
    gaps: tuple[Gap, ...] = ()
    version: int = 0
    """Bumped by every write; a relay's write is conditional on the version it read, so a
    replay (which moves the cursor back) is never overwritten by a pass that began before."""

    @classmethod
    def from_document(cls, document: Document | None) -> "Cursor":
        if document is None:
            return cls()
        gaps = tuple(Gap(low, high, since) for low, high, since in document.get("gaps", []))
        return cls(document.get("published", 0), gaps, document.get("version", 0))

    def fields(self) -> Document:
        """The cursor's fields as they are stored (``version`` is incremented apart)."""
        return {"published": self.published, "gaps": [gap.to_document() for gap in self.gaps]}

    @property
    def settled(self) -> bool:
        return not self.gaps

    def wanted(self, sequence: int) -> bool:
        """Whether the row of this sequence is still to be published."""
        return sequence > self.published or any(g.low <= sequence <= g.high for g in self.gaps)

    def plan(self, top: int, budget: int) -> "Plan":
        """The sequences to read next, at most ``budget`` of them: the gaps first (lowest
        first), then the numbers after ``published`` up to ``top`` (the counter's value)."""
        pieces: list[tuple[int, int]] = []
        for gap in self.gaps:
            if budget <= 0:
                break
            high = min(gap.high, gap.low + budget - 1)
            pieces.append((gap.low, high))
            budget -= high - gap.low + 1
        window_high = min(top, self.published + max(budget, 0))
        window = (self.published + 1, window_high) if window_high > self.published else None
        return Plan(pieces, window)

    def after(
        self, plan: "Plan", seen: Iterable[int], settled: Iterable[int], now: datetime
    ) -> "Cursor":
        """The cursor once ``settled`` sequences are on the broker. ``seen``: every row the
        plan's reads returned. The mark moves to the highest settled sequence of the window
        (or over a window where nothing was seen at all: its numbers become gaps), and every
        number it passes that is not settled becomes a gap."""
        done = sorted(set(settled))
        window_seen = [s for s in seen if plan.window and s >= plan.window[0]]
        published = self.published
        if plan.window is not None:
            in_window = [s for s in done if s >= plan.window[0]]
            if in_window:
                published = max(published, in_window[-1])
            elif not window_seen:
                published = plan.window[1]
        passed = [Gap(self.published + 1, published, now)] if published > self.published else []
        gaps = subtract([*self.gaps, *passed], done)
        return replace(self, published=published, gaps=tuple(gaps))

    def without(self, closed: Iterable[int]) -> "Cursor":
        """The cursor with these sequences no longer gaps (tombstones hold them)."""
        return replace(self, gaps=tuple(subtract(list(self.gaps), sorted(set(closed)))))

    def with_gap(self, gap: Gap) -> "Cursor":
        return replace(self, gaps=tuple(sorted([*self.gaps, gap], key=lambda g: g.low)))

    def expired(self, before: datetime) -> list[Gap]:
        return [gap for gap in self.gaps if gap.since < before]

    def replayed_from(self, first: int) -> "Cursor":
        """Everything from ``first`` on is published again; gaps above it are covered."""
        if first > self.published:
            return self
        gaps = tuple(gap for gap in self.gaps if gap.high < first)
        return replace(self, published=first - 1, gaps=gaps)


@dataclass(frozen=True)
class Plan:
    gaps: list[tuple[int, int]] = field(default_factory=list)
    window: tuple[int, int] | None = None

    @property
    def pieces(self) -> list[tuple[int, int]]:
        """The gaps to read and the window, in order: every number in them is wanted."""
        return [*self.gaps, *([self.window] if self.window else [])]

    def ranges(self, join: int) -> list[tuple[int, int]]:
        """The plan as few bounded reads: pieces closer than ``join`` numbers are read as
        one range (engines that cannot use an index for ``$or`` or ``$in`` read a few extra
        rows more cheaply than a query each)."""
        merged: list[tuple[int, int]] = []
        for low, high in self.pieces:
            if merged and low - merged[-1][1] <= join:
                merged[-1] = (merged[-1][0], max(merged[-1][1], high))
            else:
                merged.append((low, high))
        return merged

    def covers(self, sequence: int) -> bool:
        return any(low <= sequence <= high for low, high in self.pieces)


def subtract(gaps: list[Gap], points: list[int]) -> list[Gap]:
    """The gaps without the (sorted) points, split where a point falls inside one."""
    result: list[Gap] = []
    for gap in sorted(gaps, key=lambda g: g.low):
        low = gap.low
        for point in points:
            if point < low or point > gap.high:
                continue
            if point > low:
                result.append(Gap(low, point - 1, gap.since))
            low = point + 1
        if low <= gap.high:
            result.append(Gap(low, gap.high, gap.since))
    return result
