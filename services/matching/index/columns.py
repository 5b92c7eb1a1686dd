"""The company side of the score matrices, one row per company, replaced in place. Pure.

Dense factor rows live in arrays with spare capacity; a company's terms are kept as its own
sparse row, and the stacked CSR matrix (needed only when a proposal is scored against the
whole pool) is rebuilt lazily after a change.
"""

import numpy as np
from numpy.typing import NDArray
from scipy import sparse  # type: ignore[import-untyped]

from services.matching.scoring.matrices import CompanyMatrix, Space, company_matrix
from services.matching.scoring.vectors import CompanyVector

DENSE = (
    *("tags", "areas", "declared", "referenced", "languages", "stages", "financing", "history"),
)


class CompanyColumns:
    def __init__(self, space: Space, capacity: int = 1024) -> None:
        self.space = space
        empty = company_matrix([], space)
        self.dense: dict[str, NDArray[np.float32]] = {
            name: np.zeros((capacity, getattr(empty, name).shape[1]), np.float32) for name in DENSE
        }
        self.term_rows: list[tuple[NDArray[np.int32], NDArray[np.float32]]] = []
        self._terms: sparse.csr_matrix | None = None

    @classmethod
    def of(cls, space: Space, vectors: list[CompanyVector]) -> "CompanyColumns":
        """Every company's rows at once (a rebuild), with room to grow."""
        columns = cls(space, capacity=max(1024, 2 * len(vectors)))
        stacked = company_matrix(vectors, space)
        for name in DENSE:
            columns.dense[name][: len(vectors)] = getattr(stacked, name)
        terms = stacked.terms
        columns.term_rows = [
            (terms.indices[start:end].astype(np.int32), terms.data[start:end])
            for start, end in zip(terms.indptr[:-1], terms.indptr[1:], strict=True)
        ]
        columns._terms = terms
        return columns

    def one(self, vector: CompanyVector) -> CompanyMatrix:
        return company_matrix([vector], self.space)

    def put(self, position: int, vector: CompanyVector) -> CompanyMatrix:
        """The company's rows replaced; returned, to score it without building them again."""
        row = self.one(vector)
        capacity = len(self.dense["tags"])
        if position >= capacity:
            grown = max(position + 1, 2 * capacity)
            for name, matrix in self.dense.items():
                self.dense[name] = np.vstack(
                    [matrix, np.zeros((grown - capacity, matrix.shape[1]), np.float32)]
                )
        for name in DENSE:
            self.dense[name][position] = getattr(row, name)[0]
        while len(self.term_rows) <= position:
            self.term_rows.append((np.zeros(0, np.int32), np.zeros(0, np.float32)))
        self.term_rows[position] = (row.terms.indices.astype(np.int32), row.terms.data)
        self._terms = None
        return row

    def matrix(self, size: int) -> CompanyMatrix:
        """The first ``size`` companies as one matrix (views of the dense arrays)."""
        dense = {name: matrix[:size] for name, matrix in self.dense.items()}
        return CompanyMatrix(ids=[], terms=self._stacked_terms(size), **dense)

    def _stacked_terms(self, size: int) -> sparse.csr_matrix:
        if self._terms is None or self._terms.shape[0] != size:
            rows = self.term_rows[:size]
            lengths = np.fromiter((len(indices) for indices, _ in rows), np.int64, len(rows))
            indptr = np.concatenate([[0], np.cumsum(lengths)])
            indices = np.concatenate([i for i, _ in rows]) if rows else np.zeros(0, np.int32)
            data = np.concatenate([d for _, d in rows]) if rows else np.zeros(0, np.float32)
            shape = (size, len(self.space.terms))
            self._terms = sparse.csr_matrix((data, indices, indptr), shape=shape)
        return self._terms
