"""Which acknowledged rows a relay may mark sent after a part-way failure."""

from shared.relay import acknowledged_in_order


def rows(*keys: str) -> list[dict[str, object]]:
    return [{"seq": index, "key": key} for index, key in enumerate(keys)]


def test_every_row_is_marked_when_every_row_was_acknowledged() -> None:
    assert acknowledged_in_order(rows("a", "b", "a"), [None, None, None]) == [0, 1, 2]


def test_only_the_unacknowledged_tail_of_a_key_stays_pending() -> None:
    failure = TimeoutError("no ack")
    outcomes = [None, failure, None, None, None]
    # b failed at row 1: b's later row 3 stays pending too (it must not overtake row 1),
    # while a's and c's rows after the failure are marked sent and not sent again.
    assert acknowledged_in_order(rows("a", "b", "a", "b", "c"), outcomes) == [0, 2, 4]


def test_nothing_is_marked_when_nothing_was_acknowledged() -> None:
    failure = ConnectionError("broker away")
    assert acknowledged_in_order(rows("a", "b"), [failure, failure]) == []
