"""API keys: random, shown once, stored only as an HMAC-SHA256 with a server-side pepper.

A key reads ``jamp_<key id>_<secret>``; the key id finds the record, and the hash is
compared in constant time. HMAC rather than argon2: keys carry 256 bits of entropy, so a
slow hash adds nothing but ~100 ms of blocked event loop per request.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.auth.grants import Role
from shared.contracts.identity import ApiKeyIssued

PREFIX = "jamp"


@dataclass(frozen=True)
class IssuedKey:
    plaintext: str
    """Shown to its holder once, never stored."""
    event: ApiKeyIssued


def hash_key(plaintext: str, pepper: str) -> str:
    return hmac.new(pepper.encode(), plaintext.encode(), hashlib.sha256).hexdigest()


def key_id_of(plaintext: str) -> str | None:
    prefix, _, rest = plaintext.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or len(key_id) != 16 or not secret:
        return None
    return key_id


def issue_key(role: Role, scope: str | None, label: str, pepper: str) -> IssuedKey:
    key_id = secrets.token_hex(8)
    plaintext = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    event = ApiKeyIssued(
        key_id=key_id,
        key_hash=hash_key(plaintext, pepper),
        role=role,
        scope=scope,
        label=label,
        issued_at=datetime.now(UTC),
    )
    return IssuedKey(plaintext=plaintext, event=event)
