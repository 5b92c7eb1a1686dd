"""Facts that, once stored, never change and never go away (a city's country, that a
company was registered): a process reads each once and answers from memory after that."""

from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _all(value: object) -> bool:
    return True


class LastingFacts(Generic[K, V]):
    """Found answers are kept; a miss never is (the fact may be stored a moment later).
    The reader must read committed data only (no transaction's session): a transaction that
    wrote the fact itself may still abort."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._known: dict[K, V] = {}

    async def get(
        self, key: K, read: Callable[[], Awaitable[V | None]], lasting: Callable[[V], bool] = _all
    ) -> V | None:
        """The kept answer, or what ``read`` finds now (kept if found and ``lasting``: an
        answer that may still be completed later is read again next time)."""
        known = self._known.get(key)
        if known is not None:
            return known
        found = await read()
        if found is not None and lasting(found):
            if len(self._known) >= self.limit:
                self._known.clear()  # bounded memory; the next reads fill it again
            self._known[key] = found
        return found
