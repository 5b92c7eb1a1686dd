"""ASCN pilot cities: the reference data, its ids and time zones. Pure: no I/O."""

import csv
import io
import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.clock import utc_now
from shared.contracts.proposals import City
from shared.contracts.vocabulary import CAPITAL_TIME_ZONES, AseanState
from shared.errors import DomainError
from shared.http.pagination import SLUG, PageQuery
from shared.zones import is_time_zone

# Cities outside their country's capital zone.
CITY_TIME_ZONES = {
    "makassar": "Asia/Makassar",
    "kota-kinabalu": "Asia/Kuching",
    "kuching": "Asia/Kuching",
}
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_PARENTHESES = re.compile(r"\(.*?\)")
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def city_id_of(name: str) -> str:
    """A stable slug: "Chonburi (Chon Buri)" → "chonburi", "Đà Nẵng" → "da-nang"."""
    plain = unicodedata.normalize(
        "NFKD", _PARENTHESES.sub("", name).replace("Đ", "D").replace("đ", "d")
    )
    ascii_only = plain.encode("ascii", "ignore").decode().lower()
    return _NOT_SLUG.sub("-", ascii_only).strip("-")


def parse_cities(text: str) -> list[City]:
    """The rows of ascn_cities.csv (name, country, joined, …) as cities."""
    cities = []
    for row in csv.DictReader(io.StringIO(text)):
        city_id = city_id_of(row["name"])
        zone = CITY_TIME_ZONES.get(city_id, CAPITAL_TIME_ZONES[row["country"]])
        name = _PARENTHESES.sub("", row["name"]).strip()
        cities.append(
            City(
                city_id=city_id,
                name=name,
                country=row["country"],
                joined=int(row["joined"]),
                time_zone=zone,
            )
        )
    return cities


def _time_zone(value: str) -> str:
    if not is_time_zone(value):
        raise ValueError(f"not an IANA time zone: {value!r}")
    return value


TimeZoneName = Annotated[str, AfterValidator(_time_zone)]


class AddCity(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {"name": "Nusantara", "country": "ID", "joined": 2026, "time_zone": "Asia/Makassar"}
            ]
        },
    )

    name: str = Field(min_length=2, max_length=100)
    country: AseanState
    joined: int = Field(ge=2018, le=utc_now().year + 1, description="Year it joined ASCN")
    time_zone: TimeZoneName | None = Field(default=None, description="Defaults to the country's")
    city_id: str | None = Field(
        default=None,
        pattern=SLUG_PATTERN,
        max_length=60,
        description="Defaults to a slug of the name",
    )

    def city(self) -> City:
        city_id = self.city_id or city_id_of(self.name)
        zone = self.time_zone or CAPITAL_TIME_ZONES[self.country]
        return City(
            city_id=city_id,
            name=self.name,
            country=self.country,
            joined=self.joined,
            time_zone=zone,
        )


class CityQuery(PageQuery):
    position = SLUG

    country: AseanState | None = None


class CityNotFound(DomainError):
    pass


class CityExists(DomainError):
    pass
