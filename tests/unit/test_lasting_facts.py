"""Lasting facts are read once when found, and read again while missing."""

from shared.lasting import LastingFacts


class Reader:
    def __init__(self, answers: list[str | None]) -> None:
        self.answers = answers
        self.reads = 0

    async def __call__(self) -> str | None:
        self.reads += 1
        return self.answers[min(self.reads, len(self.answers)) - 1]


async def test_a_found_fact_is_read_once() -> None:
    facts: LastingFacts[str, str] = LastingFacts()
    reader = Reader(["VN"])
    assert [await facts.get("da-nang", reader) for _ in range(3)] == ["VN"] * 3
    assert reader.reads == 1


async def test_a_missing_fact_is_read_again_until_it_is_stored() -> None:
    facts: LastingFacts[str, str] = LastingFacts()
    reader = Reader([None, None, "TH"])
    assert [await facts.get("bangkok", reader) for _ in range(4)] == [None, None, "TH", "TH"]
    assert reader.reads == 3


async def test_past_its_limit_it_forgets_and_reads_again() -> None:
    facts: LastingFacts[str, str] = LastingFacts(limit=2)
    readers = {name: Reader([name.upper()]) for name in ("a", "b", "c")}
    for name in ("a", "b", "c", "a"):
        assert await facts.get(name, readers[name]) == name.upper()
    assert readers["a"].reads == 2


async def test_an_answer_that_may_still_be_completed_is_read_again() -> None:
    facts: LastingFacts[str, str] = LastingFacts()
    reader = Reader(["", "Da Nang"])  # learnt without its name first, then completed

    def complete(name: str) -> bool:
        return bool(name)

    assert [await facts.get("da-nang", reader, complete) for _ in range(3)] == [
        "",
        "Da Nang",
        "Da Nang",
    ]
    assert reader.reads == 2
