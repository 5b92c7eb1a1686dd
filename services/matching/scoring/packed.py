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
from typing import Any, Generic, TypeVar

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


class Runs:
    """A run of values per position, every run in one array: replacing one company's
    small objects one event at a time (a tuple of terms, an array of counts, a compressed
    profile, ~30,000 objects at 10,000 companies) left matching's idle memory fragmented
    by ~10 MB more in one run than in another. A replaced run that no longer fits is
    written at the end; the runs are packed again once half of the array is left behind."""

    __slots__ = ("_idle", "_length", "_start", "_typecode", "_values")

    def __init__(self, typecode: str) -> None:
        self._typecode = typecode
        self._values = array(typecode)
        self._start = array("q")
        self._length = array("q")
        self._idle = 0
        """Values no run uses any more."""

    def __len__(self) -> int:
        return len(self._start)

    @property
    def idle(self) -> int:
        return self._idle

    @property
    def held(self) -> int:
        return len(self._values)

    def put(self, position: int, values: "array[Any]") -> None:
        """The run at ``position`` (at most one past the last) replaced by ``values``."""
        if position > len(self._start):
            raise IndexError(f"position {position} past {len(self._start)} runs")
        if position < len(self._start) and len(values) <= self._length[position]:
            start = self._start[position]
            self._values[start : start + len(values)] = values
            self._idle += self._length[position] - len(values)
            self._length[position] = len(values)
            return
        if position < len(self._start):
            self._idle += self._length[position]
            self._start[position], self._length[position] = len(self._values), len(values)
        else:
            self._start.append(len(self._values))
            self._length.append(len(values))
        self._values.extend(values)
        if self._idle > len(self._values) // 2:
            self._pack()

    def __getitem__(self, position: int) -> "array[Any]":
        start = self._start[position]
        return self._values[start : start + self._length[position]]

    def _pack(self) -> None:
        values, start = array(self._typecode), array("q")
        for begin, length in zip(self._start, self._length, strict=True):
            start.append(len(values))
            values.extend(self._values[begin : begin + length])
        self._values, self._start, self._idle = values, start, 0


class CountRows:
    """Every company's term counts by position, as (term number, count) pairs in one
    array of the pool (``Runs``) instead of a tuple and an array per company.

    Each term number counts the runs that use it; a number no run uses any more is given
    to the next new term, so the terms held are those of the companies as they are now:
    a profile rewritten again and again with new words (a hostile tenant's, say) would
    otherwise keep every word it ever held."""

    __slots__ = ("_free", "_number", "_runs", "_terms", "_users")

    def __init__(self) -> None:
        self._number: dict[str, int] = {}
        self._terms: list[str] = []
        self._users = array("I")
        """Per term number, how many runs use it."""
        self._free: list[int] = []
        self._runs = Runs("I")

    def __len__(self) -> int:
        return len(self._runs)

    @property
    def runs(self) -> Runs:
        return self._runs

    @property
    def terms(self) -> int:
        """Distinct terms held: those some company's counts use."""
        return len(self._number)

    @property
    def numbered(self) -> int:
        """Term numbers given out, in use or free to reuse."""
        return len(self._terms)

    def put(self, position: int, counts: Mapping[str, int]) -> None:
        """The counts of the company at ``position`` (at most one past the last)."""
        pairs = array("I")
        for term, count in counts.items():
            pairs.extend((self._numbered(term), count))
        if position < len(self._runs):  # after numbering: a term kept is not freed
            self._release(self._runs[position][0::2])
        self._runs.put(position, pairs)

    def __getitem__(self, position: int) -> Packed[int]:
        """The company's counts, in the order they were put."""
        pairs, terms = self._runs[position], self._terms
        return Packed(tuple(terms[n] for n in pairs[0::2]), pairs[1::2])

    def _numbered(self, term: str) -> int:
        number = self._number.get(term)
        if number is None:
            if self._free:
                number = self._free.pop()
                self._terms[number] = term
            else:
                number = len(self._terms)
                self._terms.append(term)
                self._users.append(0)
            self._number[term] = number
        self._users[number] += 1
        return number

    def _release(self, numbers: "array[int]") -> None:
        for number in numbers:
            self._users[number] -= 1
            if not self._users[number]:
                del self._number[self._terms[number]]
                self._terms[number] = ""
                self._free.append(number)
