"""ASCN reference data: city ids, time zones, and the admin's new-city request."""

from importlib import resources

import pytest
from pydantic import ValidationError

from services.proposals.cities import AddCity, city_id_of, parse_cities


def reference_cities_text() -> str:
    return resources.files("services.proposals").joinpath("data/ascn_cities.csv").read_text()


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Da Nang", "da-nang"),
        ("Đà Nẵng", "da-nang"),
        ("Chonburi (Chon Buri)", "chonburi"),
        ("Ho Chi Minh City", "ho-chi-minh-city"),
        ("DKI Jakarta", "dki-jakarta"),
    ],
)
def test_a_city_id_is_a_stable_slug_of_its_name(name: str, slug: str) -> None:
    assert city_id_of(name) == slug


def test_the_reference_file_holds_the_31_pilot_cities_of_10_states() -> None:
    cities = parse_cities(reference_cities_text())
    assert len(cities) == len({city.city_id for city in cities}) == 31
    assert len({city.country for city in cities}) == 10
    assert sum(city.joined == 2018 for city in cities) == 26


def test_cities_get_their_local_time_zone() -> None:
    by_id = {city.city_id: city for city in parse_cities(reference_cities_text())}
    assert by_id["da-nang"].time_zone == "Asia/Ho_Chi_Minh"
    assert by_id["makassar"].time_zone == "Asia/Makassar"
    assert by_id["dki-jakarta"].time_zone == "Asia/Jakarta"
    assert by_id["chonburi"].name == "Chonburi"


def test_a_new_city_defaults_its_id_and_zone() -> None:
    city = AddCity(name="Nusantara", country="ID", joined=2026).city()
    assert (city.city_id, city.time_zone) == ("nusantara", "Asia/Jakarta")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"country": "JP"}, "country"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"joined": 2010}, "joined"),
        ({"city_id": "Not A Slug"}, "city_id"),
    ],
)
def test_a_new_city_is_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        AddCity.model_validate({"name": "Nusantara", "country": "ID", "joined": 2026, **changes})
    assert [error["loc"][0] for error in refused.value.errors()] == [field]
