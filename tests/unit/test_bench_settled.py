"""When ``jamp bench desk`` counts the desk as settled (pure: no servers)."""

from jamp.perf.desk import settled


def test_three_quiet_seconds_in_a_row_settle_it() -> None:
    assert settled([0.9, 0.05, 0.04, 0.06])
    assert not settled([0.05, 0.04, 0.9])


def test_a_desk_idling_above_the_quiet_level_settles_once_its_line_is_flat() -> None:
    loading = [1.4, 0.9, 0.6, 0.4, 0.3]
    assert not settled(loading)
    assert settled([*loading, 0.22, 0.21, 0.23, 0.22, 0.21])


def test_a_line_still_falling_or_too_short_is_not_settled() -> None:
    assert not settled([0.5, 0.45, 0.4, 0.35, 0.3])
    assert not settled([0.2, 0.2])
