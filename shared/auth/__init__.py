"""API keys: roles and scopes, hashing, and each service's replica of the key registry."""

from shared.auth.grants import PUBLIC, Access, Principal, Role, allow, may_work, parse_grant
from shared.auth.keys import IssuedKey, hash_key, issue_key, key_id_of, register_person
from shared.auth.replica import KeyReplica

__all__ = [
    "PUBLIC",
    "Access",
    "IssuedKey",
    "KeyReplica",
    "Principal",
    "Role",
    "allow",
    "hash_key",
    "issue_key",
    "key_id_of",
    "may_work",
    "parse_grant",
    "register_person",
]
