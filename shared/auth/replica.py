"""A service's own copy of the key registry and of the people holding keys, fed by
``jamp.identity.v1``."""

import hmac
from collections.abc import Sequence

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from shared.auth.grants import Principal, Role
from shared.auth.keys import hash_key, key_id_of
from shared.contracts.identity import (
    ApiKeyIssued,
    ApiKeyRelabelled,
    ApiKeyRevoked,
    PersonRegistered,
    PersonUpdated,
)
from shared.mongo import Document, Inserts, insert_or_update

Session = AsyncClientSession | None


class KeyReplica:
    def __init__(
        self,
        collection: AsyncCollection[Document],
        pepper: str,
        people: AsyncCollection[Document] | None = None,
    ) -> None:
        self.collection = collection
        self.pepper = pepper
        self.people = people if people is not None else collection.database["people"]

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
        return Principal(
            key_id=key_id,
            role=Role(record["role"]),
            scope=record["scope"],
            label=record.get("label", ""),
            person_id=record.get("person_id"),
            person_name=record.get("person_name"),
        )

    async def record_issued(self, issued: ApiKeyIssued, session: AsyncClientSession) -> None:
        """Idempotent: a redelivered event leaves the record as it is."""
        await self.record_all_issued([issued], session)

    async def add_minted(
        self, issued: ApiKeyIssued, writes: Inserts, *, purpose: str | None = None
    ) -> None:
        """A key this process has just issued (``issue_key``), in the transaction that
        publishes it: its id is new, so a plain insert, cheaper than an upsert. ``purpose``
        is what this service minted it for, so it can later find that key among the others
        of the same grant (the event coming back on the stream leaves the record as it is)."""
        record = _key_record(issued) | ({} if purpose is None else {"purpose": purpose})
        await writes.insert(self.collection, record)

    async def record_all_issued(
        self, issued: Sequence[ApiKeyIssued], session: AsyncClientSession
    ) -> None:
        """``record_issued`` of each, in one write."""
        await insert_or_update(self.collection, [_key_record(key) for key in issued], session)

    async def record_relabelled(
        self, relabelled: ApiKeyRelabelled, session: AsyncClientSession
    ) -> None:
        """Idempotent, and an older label never overwrites a newer one (a replay of the
        stream's window)."""
        await self.collection.update_one(
            {
                "_id": relabelled.key_id,
                "$nor": [{"labelled_at": {"$gte": relabelled.relabelled_at}}],
            },
            {"$set": {"label": relabelled.label, "labelled_at": relabelled.relabelled_at}},
            session=session,
        )

    async def record_revoked(self, revoked: ApiKeyRevoked, session: AsyncClientSession) -> None:
        await self.collection.update_one(
            {"_id": revoked.key_id},
            {"$set": {"revoked_at": revoked.revoked_at, "revoke_reason": revoked.reason}},
            upsert=True,
            session=session,
        )

    async def record_person(self, person: PersonRegistered, session: AsyncClientSession) -> None:
        """Idempotent: the person's record is the event's data, keyed by the person id."""
        document = person.model_dump(exclude={"person_id"})
        await self.people.replace_one(
            {"_id": person.person_id}, document, upsert=True, session=session
        )

    async def record_person_updated(
        self, person: PersonUpdated, session: AsyncClientSession
    ) -> None:
        """The person's details as they now are; idempotent. Keyed by the person id, the
        update travels behind the registration, so a person unknown here is left alone."""
        details = person.model_dump(include={"name", "email", "language", "time_zone"})
        await self.people.update_one(
            {"_id": person.person_id},
            {"$set": {**details, "updated_at": person.updated_at}},
            session=session,
        )
        # Keys carry their person's name, so that authenticating stays one read: a renamed
        # person's next change must be recorded under the name they have now.
        await self.collection.update_many(
            {"person_id": person.person_id},
            {"$set": {"person_name": person.name}},
            session=session,
        )

    async def holders(self, role: Role, scope: str | None, session: Session = None) -> list[str]:
        """The people holding an unrevoked key for ``role`` and ``scope``, each once."""
        cursor = self.collection.find(
            {"role": role, "scope": scope, "revoked_at": None, "person_id": {"$ne": None}},
            {"person_id": True},
            session=session,
        ).sort("issued_at", 1)
        return list(dict.fromkeys([record["person_id"] async for record in cursor]))

    async def person(self, person_id: str, session: Session = None) -> Document | None:
        """The person; until their registration arrives (it may travel on another partition
        than their keys), what a key issued to them says: the id and the name."""
        found = await self.people.find_one({"_id": person_id}, session=session)
        if found is not None:
            return found
        key = await self.collection.find_one({"person_id": person_id}, session=session)
        if key is None or not key.get("person_name"):
            return None
        return {"_id": person_id, "name": key["person_name"]}

    async def grants_of(self, person_id: str, session: Session = None) -> set[str]:
        """The grants (``desk:VN``, ``admin``) of the person's keys that are not revoked."""
        return set((await self.active_keys_of(person_id, session)).values())

    async def active_keys_of(self, person_id: str, session: Session = None) -> dict[str, str]:
        """The person's unrevoked keys: each key id with its grant, oldest first."""
        cursor = self.collection.find(
            {"person_id": person_id, "revoked_at": None},
            {"role": 1, "scope": 1},
            session=session,
        ).sort("issued_at", 1)
        return {record["_id"]: _grant(record) async for record in cursor}

    async def holder_of(self, key_id: str, session: Session = None) -> str | None:
        """The person a key was issued to; None for an unknown key or one of no person."""
        found = await self.collection.find_one({"_id": key_id}, {"person_id": 1}, session=session)
        return None if found is None else found.get("person_id")

    async def has_keys(self, person_id: str, session: Session = None) -> bool:
        """Whether any key of the person is known here, revoked or not (none: their keys have
        not arrived yet, or they never held one)."""
        found = await self.collection.find_one(
            {"person_id": person_id}, {"_id": 1}, session=session
        )
        return found is not None

    async def list_people(self) -> list[Document]:
        return await self.people.find({}).sort("registered_at", 1).to_list()

    async def active_key_ids(
        self, role: Role, scope: str, session: AsyncClientSession, *, purpose: str | None = None
    ) -> list[str]:
        """Ids of the unrevoked keys held for ``role`` and ``scope`` (those minted for
        ``purpose`` only, when it is given)."""
        criteria: Document = {"role": role, "scope": scope, "revoked_at": None}
        if purpose is not None:
            criteria["purpose"] = purpose
        cursor = self.collection.find(criteria, {"_id": True}, session=session)
        return [record["_id"] async for record in cursor]

    async def list(self) -> list[Document]:
        """Every key record without its hash, oldest first."""
        cursor = self.collection.find({}, {"key_hash": False}).sort("issued_at", 1)
        return await cursor.to_list()


def _key_record(issued: ApiKeyIssued) -> Document:
    return {
        "_id": issued.key_id,
        "key_hash": issued.key_hash,
        "role": issued.role,
        "scope": issued.scope,
        "label": issued.label,
        "issued_at": issued.issued_at,
        "person_id": issued.person_id,
        "person_name": issued.person_name,
        "revoked_at": None,
    }


def _grant(record: Document) -> str:
    return f"{record['role']}:{record['scope']}" if record.get("scope") else str(record["role"])
