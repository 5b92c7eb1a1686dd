"""Links that carry their own permission, as an object store's presigned URLs do: a path
and an expiry signed with a key every service derives from the key pepper, so that one
service can hand out a link (the notifications service, in mail) that another serves (the
one owning the path) with no call between them. Pure: the settings are passed in."""

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime

from shared.errors import DomainError
from shared.settings import ServiceSettings

SIGNATURE = re.compile(r"[A-Za-z0-9_-]{43}")
"""An HMAC-SHA256 in URL-safe base64 without padding."""


class LinkRefused(DomainError):
    """A signed link that is forged, altered, malformed or past its expiry."""


def link_key(settings: ServiceSettings) -> bytes:
    """The signing key, the same in every service that shares the pepper (and distinct from
    every other use of it)."""
    return hmac.new(settings.pepper().encode(), b"jamp-signed-links", hashlib.sha256).digest()


def signed_query(key: bytes, path: str, expires: datetime) -> dict[str, str]:
    """The query parameters that make ``path`` a link valid until ``expires``."""
    seconds = int(expires.timestamp())
    return {"expires": str(seconds), "signature": _signature(key, path, seconds)}


def check_signed(key: bytes, path: str, expires: int, signature: str, now: datetime) -> None:
    """Nothing when ``signature`` signs ``path`` until ``expires`` and that is still ahead;
    LinkRefused, saying which, otherwise."""
    if not SIGNATURE.fullmatch(signature):
        raise LinkRefused("the link's signature is malformed")
    # The text as we write it, not its decoded bytes: base64 has several spellings of the
    # same bytes (the last character's spare bits, padding), and a link has one.
    if not hmac.compare_digest(signature.encode(), _signature(key, path, expires).encode()):
        raise LinkRefused("the link's signature does not match it")
    if datetime.fromtimestamp(expires, UTC) <= now:
        raise LinkRefused("the link has expired: ask the desk to send the file again")


def _signature(key: bytes, path: str, expires: int) -> str:
    mac = hmac.new(key, f"{path}\n{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")
