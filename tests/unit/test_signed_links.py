"""Signed links: a path and an expiry under a key every service derives from the pepper."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from shared.settings import ServiceSettings
from shared.signed_links import LinkRefused, check_signed, link_key, signed_query

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PATH = "/inquiries/i-1/attachments/a-1/signed"


def key(pepper: str = "a-pepper-long-enough-for-the-tests-0001") -> bytes:
    return link_key(ServiceSettings(key_pepper=SecretStr(pepper)))


def test_a_link_checks_until_it_expires() -> None:
    query = signed_query(key(), PATH, NOW + timedelta(hours=1))
    check_signed(key(), PATH, int(query["expires"]), query["signature"], NOW)
    with pytest.raises(LinkRefused, match="expired"):
        check_signed(
            key(), PATH, int(query["expires"]), query["signature"], NOW + timedelta(hours=1)
        )


@pytest.mark.parametrize(
    ("path", "shift", "signature"),
    [
        ("/inquiries/i-1/attachments/a-2/signed", 0, None),  # another file
        (PATH, 3600, None),  # a longer life
        (PATH, 0, "AAAA"),  # made up
        (PATH, 0, "not base64!"),
    ],
)
def test_an_altered_or_made_up_link_is_refused(
    path: str, shift: int, signature: str | None
) -> None:
    query = signed_query(key(), PATH, NOW + timedelta(hours=1))
    with pytest.raises(LinkRefused):
        check_signed(
            key(), path, int(query["expires"]) + shift, signature or query["signature"], NOW
        )


def test_another_pepper_signs_other_links_and_the_key_is_not_the_pepper() -> None:
    query = signed_query(key("another-pepper-long-enough-for-tests-0002"), PATH, NOW + timedelta(1))
    with pytest.raises(LinkRefused, match="does not match"):
        check_signed(key(), PATH, int(query["expires"]), query["signature"], NOW)
    assert b"a-pepper" not in key()


def test_another_spelling_of_the_same_signature_bytes_is_refused() -> None:
    query = signed_query(key(), PATH, NOW + timedelta(hours=1))
    expires, signature = int(query["expires"]), query["signature"]
    # The last of 43 characters carries two spare bits: flipping them decodes to the same
    # bytes. Padding adds nothing either. A link has exactly one spelling.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = signature[:-1] + alphabet[alphabet.index(signature[-1]) ^ 1]
    for spelling in (twin, signature + "=", signature + "%3D"):
        with pytest.raises(LinkRefused):
            check_signed(key(), PATH, expires, spelling, NOW)
