from shared.backoff import doubling_pause


def test_the_first_retry_waits_the_first_pause_and_each_failure_in_a_row_doubles_it() -> None:
    assert [doubling_pause(n, 0.5, 60) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]


def test_the_pause_stops_growing_at_its_most() -> None:
    assert doubling_pause(8, 1.0, 30.0) == 30.0


def test_an_outage_of_days_does_not_overflow_the_float() -> None:
    assert doubling_pause(10_000, 1.0, 30.0) == 30.0


def test_a_count_below_one_is_read_as_the_first_retry() -> None:
    assert doubling_pause(0, 2.0, 30.0) == 2.0
