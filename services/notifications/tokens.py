"""Signed tokens in addresses and links: who a reply is for, whose preferences a link opens.

Reply tokens live in an address's local part (``reply+<token>@domain``), which RFC 5321
limits to 64 octets and some relays fold to lower case, so they are short and base32:
the inquiry id, an expiry, and 80 bits of HMAC-SHA256. Pure: the secret is passed in.
"""

import base64
import binascii
import hashlib
import hmac
import struct
from datetime import UTC, datetime

from services.notifications.model import InvalidToken

MAC_BYTES = 10
REPLY = b"reply\x00"
PREFERENCES = b"preferences\x00"


def _mac(secret: str, purpose: bytes, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), purpose + payload, hashlib.sha256).digest()[:MAC_BYTES]


def _id_bytes(inquiry_id: str) -> bytes:
    # Ids are ObjectId hex (12 bytes); anything else travels as its UTF-8 text.
    if len(inquiry_id) == 24:
        try:
            return b"\x00" + bytes.fromhex(inquiry_id)
        except ValueError:
            pass
    return b"\x01" + inquiry_id.encode()


def _id_text(raw: bytes) -> str:
    return raw[1:].hex() if raw[:1] == b"\x00" else raw[1:].decode()


def reply_token(secret: str, inquiry_id: str, expires: datetime) -> str:
    payload = struct.pack(">I", int(expires.timestamp())) + _id_bytes(inquiry_id)
    return _base32(payload + _mac(secret, REPLY, payload))


def _base32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=").lower()


def read_reply_token(secret: str, token: str, now: datetime) -> str:
    """The inquiry id a genuine, unexpired token names; InvalidToken (with why) otherwise."""
    try:
        padded = token.upper() + "=" * (-len(token) % 8)
        raw = base64.b32decode(padded)
    except (binascii.Error, ValueError) as error:
        raise InvalidToken("malformed token") from error
    if _base32(raw) != token.lower():  # one spelling: not another of the same bytes
        raise InvalidToken("malformed token")
    payload, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    if len(payload) < 6 or not hmac.compare_digest(mac, _mac(secret, REPLY, payload)):
        raise InvalidToken("forged token")
    (expires,) = struct.unpack(">I", payload[:4])
    if datetime.fromtimestamp(expires, UTC) < now:
        raise InvalidToken("expired token")
    try:
        return _id_text(payload[4:])
    except UnicodeDecodeError as error:
        raise InvalidToken("malformed token") from error


def preferences_token(secret: str, address: str) -> str:
    """A link token that opens one address's preferences (and its one-click unsubscribe)."""
    payload = address.lower().encode()
    return f"{_base64(payload)}.{_base64(_mac(secret, PREFERENCES, payload))}"


def _base64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_preferences_token(secret: str, token: str) -> str:
    encoded, _, mac = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
    except (binascii.Error, ValueError) as error:
        raise InvalidToken("malformed token") from error
    if f"{_base64(payload)}.{_base64(given)}" != token:  # one spelling of each part
        raise InvalidToken("malformed token")
    if not hmac.compare_digest(given, _mac(secret, PREFERENCES, payload)):
        raise InvalidToken("forged token")
    return payload.decode()
