"""Masking benchmark: what the monitor runs on every text an operator reads (``mask_text``),
on long runs of the shapes that once made it read a text again from every position.

Its baseline is the same code on an eighth of the text, run eight times: masking costs
the text's length only if a long text costs per character what a short one does, so the
ratio is 1.0 when it does and falls with the length where work grows faster (a quadratic
pass over the long texts here gives about 0.125). The unit tests check what the masking
writes; how its cost grows is measured here, never timed in a test.
"""

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from jamp.perf.pairs import Figure, alternate
from shared.masking import mask_text

SHORTER = 8  # the baseline's text is this many times shorter, and runs this many times


@dataclass(frozen=True)
class Shape:
    """A text written of ``count`` units (its length grows with ``count``)."""

    name: str
    build: Callable[[int], str]


SHAPES = (
    # One number, no phone (too many digits): skipped whole, never read again from inside.
    Shape("digit groups, no phone", lambda count: "01 " + "23 " * count + "45x"),
    # Numbers one after another: each number's start tried only with what may end it.
    Shape("phone numbers one after another", lambda count: "090 1234 5678 " * (count // 5)),
    # A long word before an address: each start of an address read to the word's end once.
    Shape("word run, then an address", lambda count: "x" * (count * 3) + " sato@example.co.jp"),
)


async def _cost_per_thousand(texts: list[str]) -> float:
    """Microseconds of ``mask_text`` per 1,000 characters, over every text given."""
    gc.collect()
    started = time.perf_counter()
    for text in texts:
        mask_text(text)
    elapsed = time.perf_counter() - started
    return elapsed * 1e9 / sum(map(len, texts))


async def run(pairs: int, count: int) -> list[Figure]:
    """One figure per shape: the long text's cost per character next to the short one's."""
    figures = []
    for shape in SHAPES:
        long_text, short_text = shape.build(count), shape.build(count // SHORTER)
        long, short = [long_text], [short_text] * SHORTER
        figure = Figure(
            f"{shape.name}: {len(long_text):,} characters (baseline {len(short_text):,}, "
            f"{SHORTER} times)",
            "µs per 1,000 characters",
            higher_is_better=False,
            note="ratio 1.0: the cost grows with the length; ~0.125: with its square",
        )
        trials = partial(_cost_per_thousand, long), partial(_cost_per_thousand, short)
        figures.append(await alternate(figure, *trials, pairs))
    return figures
