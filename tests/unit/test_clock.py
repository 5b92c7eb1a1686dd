"""The desk's clock answers times as MongoDB will store them."""

from datetime import UTC

from shared.clock import utc_now


def test_now_is_utc_and_whole_milliseconds() -> None:
    now = utc_now()
    assert now.tzinfo is UTC
    assert now.microsecond % 1000 == 0
