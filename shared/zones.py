"""Which names are time zones a person, a city or a desk can be in."""

from functools import cache
from zoneinfo import available_timezones

# tzdata entries that name no place: "localtime" is whatever the machine is set to (a
# different zone on every host), "Factory" a placeholder that shows as "-00".
_NO_PLACE = frozenset({"localtime", "Factory"})


@cache
def time_zones() -> frozenset[str]:
    """The IANA names. Membership, not ``ZoneInfo()``: "Asia" names a folder and raises
    IsADirectoryError, and path-like names raise other OSErrors."""
    return frozenset(available_timezones() - _NO_PLACE)


def is_time_zone(name: str) -> bool:
    return name in time_zones()
