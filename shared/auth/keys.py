"""API keys: random, shown once, stored only as an HMAC-SHA256 with a server-side pepper.

A key reads ``jamp_<key id>_<secret>``; the key id finds the record, and the hash is
compared in constant time. HMAC rather than argon2: keys carry 256 bits of entropy, so a
slow hash adds nothing but ~100 ms of blocked event loop per request.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from shared.auth.grants import Role
from shared.clock import utc_now
from shared.contracts.identity import ApiKeyIssued, PersonRegistered
from shared.zones import is_time_zone

PREFIX = "jamp"
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LEDGER = "identity"
"""The key ledger's database owner: the CLI writes it, the companies service relays it."""


@dataclass(frozen=True)
class IssuedKey:
    plaintext: str
    """Shown to its holder once, never stored."""
    event: ApiKeyIssued

    @property
    def grant(self) -> str:
        scope = self.event.scope
        return f"{self.event.role}:{scope}" if scope else self.event.role


def hash_key(plaintext: str, pepper: str) -> str:
    return hmac.new(pepper.encode(), plaintext.encode(), hashlib.sha256).hexdigest()


def key_id_of(plaintext: str) -> str | None:
    prefix, _, rest = plaintext.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or len(key_id) != 16 or not secret:
        return None
    return key_id


def issue_key(
    role: Role, scope: str | None, label: str, pepper: str, holder: PersonRegistered | None = None
) -> IssuedKey:
    """A new key; ``holder`` is the person it is issued to (None: a key known by its label)."""
    key_id = secrets.token_hex(8)
    plaintext = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    event = ApiKeyIssued(
        key_id=key_id,
        key_hash=hash_key(plaintext, pepper),
        role=role,
        scope=scope,
        label=label,
        issued_at=utc_now(),
        person_id=holder.person_id if holder else None,
        person_name=holder.name if holder else None,
    )
    return IssuedKey(plaintext=plaintext, event=event)


def checked_name(name: str, *, email: str | None, time_zone: str, kind: str) -> str:
    """The name stripped, once a person's details hold; raises ValueError naming the field."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ValueError("name: 1 to 200 characters")
    if email is not None and not EMAIL.fullmatch(email):
        raise ValueError(f"email: not an e-mail address: {email!r}")
    if kind == "person" and email is None:
        raise ValueError("email: a person needs an e-mail address")
    if not is_time_zone(time_zone):
        raise ValueError(f"time_zone: unknown time zone {time_zone!r}")
    return name


def register_person(
    name: str,
    *,
    email: str | None,
    language: str = "en",
    time_zone: str = "Asia/Tokyo",
    kind: Literal["person", "system"] = "person",
) -> PersonRegistered:
    """A new person (or named system) to issue keys to; raises ValueError naming the field."""
    return PersonRegistered(
        person_id=f"p-{secrets.token_hex(6)}",
        kind=kind,
        name=checked_name(name, email=email, time_zone=time_zone, kind=kind),
        email=email,
        language=language,
        time_zone=time_zone,
        registered_at=utc_now(),
    )
