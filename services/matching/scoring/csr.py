"""Sparse rows as three numpy arrays (CSR), and the one product scoring needs. Pure.

``scipy.sparse`` did this before, and importing it cost the service ~13 MB of its idle
memory for two operations: stacking rows and multiplying two such matrices. The product
sums each pair's shared terms in the order scipy's did (the many-row side's own order, in
float32), so every score is the same to the last bit.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

PAIRS_AT_ONCE = 1 << 20
"""Term-sharing pairs expanded at once: bounds the product's temporary arrays (~40 MB)."""


@dataclass(frozen=True)
class Csr:
    """``rows`` x ``width``: row ``r`` holds ``data[indptr[r]:indptr[r + 1]]`` in the
    columns ``indices[indptr[r]:indptr[r + 1]]``."""

    indptr: NDArray[np.int64]
    indices: NDArray[np.int32]
    data: NDArray[np.float32]
    width: int

    @classmethod
    def of(cls, rows: Sequence[Mapping[str, float]], axis: Mapping[str, int]) -> "Csr":
        """Each row's values in the columns ``axis`` names (names it lacks are left out)."""
        indptr, indices, data = [0], [], []
        for values in rows:
            for name, value in values.items():
                if name in axis:
                    indices.append(axis[name])
                    data.append(value)
            indptr.append(len(indices))
        return cls(
            np.array(indptr, np.int64),
            np.array(indices, np.int32),
            np.array(data, np.float32),
            len(axis),
        )

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows, self.width

    def slice(self, rows: slice) -> "Csr":
        start, stop, _ = rows.indices(self.rows)
        stop = max(start, stop)
        begin, end = self.indptr[start], self.indptr[stop]
        indptr = self.indptr[start : stop + 1] - begin
        return Csr(indptr, self.indices[begin:end], self.data[begin:end], self.width)

    def toarray(self) -> NDArray[np.float32]:
        dense = np.zeros(self.shape, np.float32)
        dense[self._row_of(np.arange(len(self.indices))), self.indices] = self.data
        return dense

    def _row_of(self, entries: NDArray[np.int64]) -> NDArray[np.int64]:
        return np.searchsorted(self.indptr, entries, side="right") - 1


def products(many: Csr, few: Csr) -> NDArray[np.float32]:
    """``many`` · ``few``ᵀ (rows of ``many`` x rows of ``few``), dense, float32.

    Each cell sums its shared terms in the order ``many`` holds them, in float32, as
    scipy's sparse · dense product did (``many @ few.T.toarray()``); the terms only one
    side has add nothing and are skipped. Only pairs of entries sharing a column are
    expanded, so the cost follows the pairs that share a term, not ``many`` x ``few`` x
    columns."""
    out = np.zeros(many.rows * few.rows, np.float32)
    width = max(many.width, few.width)
    per_column = np.bincount(few.indices, minlength=width).astype(np.int32)
    # (np.take: fancy indexing was twice as slow; a byte a column keeps the lookup in cache.)
    entries = np.take(per_column.astype(np.bool_), many.indices).nonzero()[0]
    columns = np.take(many.indices, entries)
    rows = np.take(np.repeat(np.arange(many.rows, dtype=np.int32), np.diff(many.indptr)), entries)
    if few.rows == 1:  # one company's update, or one proposal against the pool
        weights = np.zeros(width, np.float32)
        weights[few.indices] = few.data
        values = np.take(many.data, entries) * np.take(weights, columns)
        np.add.at(out, rows, values)
        return out.reshape(many.rows, 1)
    # ``few`` by column: each column's entries (their rows and values) together.
    by_column = np.argsort(few.indices, kind="stable")
    few_rows = few._row_of(by_column).astype(np.int32)
    few_data = np.take(few.data, by_column)
    first_of_column = np.cumsum(per_column, dtype=np.int32) - per_column
    counts = np.take(per_column, columns)
    cell_rows = rows.astype(np.int64) * few.rows
    ends = np.cumsum(counts, dtype=np.int64)
    start = 0
    while start < len(entries):
        before = int(ends[start - 1]) if start else 0
        stop = max(int(np.searchsorted(ends, before + PAIRS_AT_ONCE, side="right")), start + 1)
        block = slice(start, stop)
        block_counts = counts[block]
        pairs = int(ends[stop - 1]) - before
        # Pair n joins an entry of ``many`` with ``few``'s entry ``right[n]`` in the same
        # column, in ``many``'s order: np.add.at adds them in that order.
        offset = np.take(first_of_column, columns[block]) - (ends[block] - block_counts - before)
        right = np.repeat(offset.astype(np.int32), block_counts)
        right += np.arange(pairs, dtype=np.int32)
        cells = np.repeat(cell_rows[block], block_counts)
        cells += np.take(few_rows, right)
        values = np.repeat(np.take(many.data, entries[block]), block_counts)
        values *= np.take(few_data, right)
        np.add.at(out, cells, values)
        start = stop
    return out.reshape(many.rows, few.rows)
