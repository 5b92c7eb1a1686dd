"""Compact forms of what the index keeps for every company. Pure.

At 10,000 companies each company's term counts and term weights as dicts (a hash table,
a float object per weight) were ~45 MB of matching's memory, and the same few tag, area,
country and language sets were held once per company. (The terms themselves are interned
where texts are split: ``features.term_counts``.) ``Packed`` keeps a read-only
mapping as a tuple of its keys and an array of its values (counts and weights of one
company share the tuple); ``Interned`` hands out one copy of each equal value.
"""

from array import array
from collections.abc import Hashable, ItemsView, Iterable, Iterator, Mapping, ValuesView
from typing import Generic, TypeVar

V = TypeVar("V", int, float)
H = TypeVar("H", bound=Hashable)


class Packed(Mapping[str, V], Generic[V]):
    """A read-only mapping of a few dozen keys: a lookup scans the keys (in C), which for
    a company's terms is as fast as hashing; iteration keeps the order it was built in."""

    __slots__ = ("keys_", "values_")
    keys_: tuple[str, ...]
    values_: "array[V]"

    def __init__(self, keys: tuple[str, ...], values: "array[V]") -> None:
        if len(keys) != len(values):
            raise ValueError(f"{len(keys)} keys but {len(values)} values")
        self.keys_, self.values_ = keys, values

    @classmethod
    def counts(cls, mapping: Mapping[str, int]) -> "Packed[int]":
        """Non-negative whole numbers (a term's count in one text)."""
        return Packed(tuple(mapping), array("I", mapping.values()))

    @classmethod
    def weights(cls, mapping: Mapping[str, float]) -> "Packed[float]":
        return Packed(tuple(mapping), array("d", mapping.values()))

    def alike(self, values: Iterable[float]) -> "Packed[float]":
        """Other values for the same keys, in the same order: the key tuple is shared."""
        return Packed(self.keys_, array("d", values))

    def __getitem__(self, key: str) -> V:
        try:
            value: V = self.values_[self.keys_.index(key)]
            return value
        except ValueError:
            raise KeyError(key) from None

    def __contains__(self, key: object) -> bool:
        return key in self.keys_

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys_)

    def __len__(self) -> int:
        return len(self.keys_)

    def items(self) -> ItemsView[str, V]:
        return _Items(self)

    def values(self) -> ValuesView[V]:
        return _Values(self)

    def __repr__(self) -> str:
        return f"Packed({dict(self)!r})"


class _Items(ItemsView[str, V]):
    # Pairs straight from the tuple and the array: the default looks each key up again.
    _mapping: Packed[V]

    def __iter__(self) -> Iterator[tuple[str, V]]:
        return zip(self._mapping.keys_, self._mapping.values_, strict=True)


class _Values(ValuesView[V]):
    _mapping: Packed[V]

    def __iter__(self) -> Iterator[V]:
        return iter(self._mapping.values_)


class Interned(Generic[H]):
    """One shared copy of each equal value (a company's tag set, its countries...): most
    companies share a few common combinations, and strings parsed from JSON are new
    objects each time."""

    def __init__(self) -> None:
        self._known: dict[H, H] = {}

    def __call__(self, value: H) -> H:
        return self._known.setdefault(value, value)

    def __len__(self) -> int:
        return len(self._known)


class CountRows:
    """Every company's term counts in two arrays shared by the whole pool, a run of
    (term number, count) per company, by position: a tuple of terms and an array of
    counts per company were ~20,000 small objects at 10,000 companies, which with what
    replacing them one event at a time left behind made matching's idle memory move by
    ~10 MB from run to run. A replaced run that no longer fits is written at the end;
    the runs are packed again once half of the arrays are left behind."""

    __slots__ = ("_count", "_idle", "_length", "_number", "_start", "_term", "_terms")

    def __init__(self) -> None:
        self._number: dict[str, int] = {}
        self._terms: list[str] = []
        self._term = array("I")
        self._count = array("I")
        self._start = array("q")
        self._length = array("I")
        self._idle = 0
        """Entries of the arrays no run uses any more."""

    def __len__(self) -> int:
        return len(self._start)

    def put(self, position: int, counts: Mapping[str, int]) -> None:
        """The counts of the company at ``position`` (at most one past the last)."""
        if position > len(self._start):
            raise IndexError(f"position {position} past {len(self._start)} rows")
        numbers = array("I", (self._numbered(term) for term in counts))
        values = array("I", counts.values())
        if position < len(self._start) and len(numbers) <= self._length[position]:
            start = self._start[position]
            self._term[start : start + len(numbers)] = numbers
            self._count[start : start + len(values)] = values
            self._idle += self._length[position] - len(numbers)
            self._length[position] = len(numbers)
            return
        if position < len(self._start):
            self._idle += self._length[position]
            self._start[position], self._length[position] = len(self._term), len(numbers)
        else:
            self._start.append(len(self._term))
            self._length.append(len(numbers))
        self._term.extend(numbers)
        self._count.extend(values)
        if self._idle > len(self._term) // 2:
            self._pack()

    def __getitem__(self, position: int) -> Packed[int]:
        """The company's counts, in the order they were put."""
        start = self._start[position]
        stop = start + self._length[position]
        terms = self._terms
        return Packed(tuple(terms[n] for n in self._term[start:stop]), self._count[start:stop])

    def _numbered(self, term: str) -> int:
        number = self._number.get(term)
        if number is None:
            number = self._number[term] = len(self._terms)
            self._terms.append(term)
        return number

    def _pack(self) -> None:
        term, count, start = array("I"), array("I"), array("q")
        for begin, length in zip(self._start, self._length, strict=True):
            start.append(len(term))
            term.extend(self._term[begin : begin + length])
            count.extend(self._count[begin : begin + length])
        self._term, self._count, self._start, self._idle = term, count, start, 0
