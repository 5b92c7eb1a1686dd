"""File sizes in reply mails, as people read them, and what a meeting's table means."""

import pytest

from services.notifications.composing.audience import readable_size
from shared.contracts.matching import is_online_room


@pytest.mark.parametrize(
    ("octets", "shown"),
    [
        (0, "0 bytes"),
        (999, "999 bytes"),
        (1000, "1 KB"),
        (14_499, "14 KB"),
        (999_499, "999 KB"),
        (999_999, "1.0 MB"),  # rounds up into the next unit, not "1000 KB"
        (1_000_000, "1.0 MB"),
        (20 * 1024 * 1024, "21.0 MB"),
    ],
)
def test_sizes_round_into_the_unit_they_are_shown_in(octets: int, shown: str) -> None:
    assert readable_size(octets) == shown


@pytest.mark.parametrize(
    ("table", "online"),
    [
        ("Table 4", False),
        ("https://meet.example.org/r1", True),
        ("http://meet.example.org/r1", True),  # stored before rooms had to be https
        ("HTTPS://MEET.EXAMPLE.ORG/r1", True),  # stored before links were lower-cased
        ("Room https://x", False),
    ],
)
def test_a_table_named_by_a_link_is_an_online_room(table: str, online: bool) -> None:
    assert is_online_room(table) is online
