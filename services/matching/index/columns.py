"""The company side of the score matrices, one row per company, replaced in place. Pure.

Dense factor rows live in arrays with spare capacity (a quarter more than the pool: twice
the pool was 5 MB of zeros at 10,000 companies). The terms live in one CSR matrix of the
whole pool (needed only when a proposal is scored against it) and the rows replaced since
it was stacked; it is stacked again lazily, the replaced rows spliced in. A pair of small
arrays per company (60,000 objects at 10,000 companies) cost twice the matrix itself.
Rows holding only 0 and 1 are kept a byte a value, a quarter of float32's memory (~5 MB at
10,000 companies); the pool's matrix hands them out as float32 again, the same values.
"""

import numpy as np
from numpy.typing import NDArray

from services.matching.scoring.csr import Csr
from services.matching.scoring.matrices import CompanyMatrix, Space, company_matrix
from services.matching.scoring.vectors import CompanyVector

DENSE = (
    *("tags", "areas", "declared", "referenced", "languages", "stages", "financing", "history"),
)
STRENGTHS = frozenset({"stages", "financing"})
"""The dense rows of fractional strengths (kept as float32); the others are 0 or 1."""


Row = tuple[NDArray[np.int32], NDArray[np.float32]]
"""One company's terms: their columns and weights."""
SPLICE_AT = 1024
"""Replaced rows spliced into the matrix at the latest once there are this many: while
only companies register (no proposal needs the matrix) they would pile up, two small
arrays each."""


def _kept(name: str) -> type[np.float32] | type[np.uint8]:
    return np.float32 if name in STRENGTHS else np.uint8


def room(rows: int) -> int:
    """Rows to allocate for ``rows`` companies: a quarter more, at least 1024."""
    return max(1024, rows + rows // 4)


class CompanyColumns:
    def __init__(self, space: Space, capacity: int = 1024) -> None:
        self.space = space
        empty = company_matrix([], space)
        self.dense: dict[str, NDArray[np.float32] | NDArray[np.uint8]] = {
            name: np.zeros((capacity, getattr(empty, name).shape[1]), _kept(name)) for name in DENSE
        }
        self._terms: Csr = empty.terms
        self.replaced: dict[int, Row] = {}
        """Rows put since ``_terms`` was stacked, by position."""

    @classmethod
    def of(cls, space: Space, vectors: list[CompanyVector]) -> "CompanyColumns":
        """Every company's rows at once (a rebuild), with room to grow."""
        columns = cls(space, capacity=room(len(vectors)))
        stacked = company_matrix(vectors, space)
        for name in DENSE:
            columns.dense[name][: len(vectors)] = getattr(stacked, name)
        columns._terms = stacked.terms
        return columns

    def one(self, vector: CompanyVector) -> CompanyMatrix:
        return company_matrix([vector], self.space)

    def put(self, position: int, vector: CompanyVector) -> CompanyMatrix:
        """The company's rows replaced; returned, to score it without building them again."""
        row = self.one(vector)
        capacity = len(self.dense["tags"])
        if position >= capacity:
            grown = room(position + 1)
            for name, matrix in self.dense.items():
                self.dense[name] = np.vstack(
                    [matrix, np.zeros((grown - capacity, matrix.shape[1]), matrix.dtype)]
                )
        for name in DENSE:
            self.dense[name][position] = getattr(row, name)[0]
        self.replaced[position] = (row.terms.indices, row.terms.data)
        if len(self.replaced) >= SPLICE_AT:
            self._stacked_terms(max(self._terms.rows, max(self.replaced) + 1))
        return row

    def matrix(self, size: int) -> CompanyMatrix:
        """The first ``size`` companies as one matrix (views of the strengths, float32
        copies of the 0/1 rows, made per proposal scored against the pool)."""
        dense = {
            name: rows[:size].astype(np.float32, copy=False) for name, rows in self.dense.items()
        }
        return CompanyMatrix(ids=[], terms=self._stacked_terms(size), **dense)

    def _stacked_terms(self, size: int) -> Csr:
        if self.replaced or self._terms.rows != size:
            self._terms = spliced(self._terms, self.replaced, size, len(self.space.terms))
            self.replaced = {p: row for p, row in self.replaced.items() if p >= size}
        return self._terms


def spliced(base: Csr, replaced: dict[int, Row], size: int, width: int) -> Csr:
    """``base`` with the ``replaced`` rows in place of its own, ``size`` rows in all (rows
    past ``base`` that none replaced are empty). Unchanged runs of rows are copied whole."""
    indices: list[NDArray[np.int32]] = []
    data: list[NDArray[np.float32]] = []
    lengths = np.zeros(size, np.int64)
    have = min(base.rows, size)
    lengths[:have] = np.diff(base.indptr[: have + 1])
    start = 0  # the first row not yet copied
    for position in sorted(p for p in replaced if p < size):
        if start < min(position, have):
            begin, end = base.indptr[start], base.indptr[min(position, have)]
            indices.append(base.indices[begin:end])
            data.append(base.data[begin:end])
        row_indices, row_data = replaced[position]
        indices.append(row_indices)
        data.append(row_data)
        lengths[position] = len(row_indices)
        start = position + 1
    if start < have:
        indices.append(base.indices[base.indptr[start] : base.indptr[have]])
        data.append(base.data[base.indptr[start] : base.indptr[have]])
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    joined_indices = np.concatenate(indices).astype(np.int32) if indices else np.zeros(0, np.int32)
    joined_data = np.concatenate(data).astype(np.float32) if data else np.zeros(0, np.float32)
    return Csr(indptr, joined_indices, joined_data, width)
