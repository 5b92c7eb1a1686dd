"""Time zones people, cities and desks may be in: IANA names of places."""

import pytest

from shared.zones import is_time_zone


@pytest.mark.parametrize("name", ["Asia/Tokyo", "Asia/Ho_Chi_Minh", "UTC"])
def test_a_place_is_a_time_zone(name: str) -> None:
    assert is_time_zone(name)


@pytest.mark.parametrize(
    "name", ["localtime", "Factory", "Asia", "../etc/passwd", "", "asia/tokyo"]
)
def test_names_of_no_place_are_not(name: str) -> None:
    assert not is_time_zone(name)
