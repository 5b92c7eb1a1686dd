"""A service's own copy of the key registry, fed by ``jamp.identity.v1``."""

import hmac

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from shared.auth.grants import Principal, Role
from shared.auth.keys import hash_key, key_id_of
from shared.contracts.identity import ApiKeyIssued, ApiKeyRevoked
from shared.mongo import Document


class KeyReplica:
    def __init__(self, collection: AsyncCollection[Document], pepper: str) -> None:
        self.collection = collection
        self.pepper = pepper

    async def authenticate(self, plaintext: str) -> Principal | None:
        """The key's principal, or None for an unknown, revoked or forged key."""
        key_id = key_id_of(plaintext)
        if key_id is None:
            return None
        record = await self.collection.find_one({"_id": key_id, "revoked_at": None})
        if record is None or "key_hash" not in record:
            return None
        if not hmac.compare_digest(record["key_hash"], hash_key(plaintext, self.pepper)):
            return None
        return Principal(key_id=key_id, role=Role(record["role"]), scope=record["scope"])

    async def record_issued(self, issued: ApiKeyIssued, session: AsyncClientSession) -> None:
        """Idempotent: a redelivered event leaves the record as it is."""
        await self.collection.update_one(
            {"_id": issued.key_id},
            {
                "$setOnInsert": {
                    "key_hash": issued.key_hash,
                    "role": issued.role,
                    "scope": issued.scope,
                    "label": issued.label,
                    "issued_at": issued.issued_at,
                    "revoked_at": None,
                }
            },
            upsert=True,
            session=session,
        )

    async def record_revoked(self, revoked: ApiKeyRevoked, session: AsyncClientSession) -> None:
        await self.collection.update_one(
            {"_id": revoked.key_id},
            {"$set": {"revoked_at": revoked.revoked_at, "revoke_reason": revoked.reason}},
            upsert=True,
            session=session,
        )

    async def list(self) -> list[Document]:
        """Every key record without its hash, oldest first."""
        cursor = self.collection.find({}, {"key_hash": False}).sort("issued_at", 1)
        return await cursor.to_list()
