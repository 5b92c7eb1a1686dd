"""Attachments in the service's own database as GridFS files, written in bounded pieces.

PyMongo's ``AsyncGridIn`` buffers up to 48 MB of chunks before its first insert, so an
upload through it would sit in memory whole. The store therefore writes the GridFS
layout itself, one chunk at a time (``<bucket>.chunks`` first, then the ``<bucket>.files``
document, as the GridFS spec orders it), and reads and deletes through
``AsyncGridFSBucket``. A file is stored before the change that refers to it; that change
adds a reference inside its transaction (an ordinary update of the files document, which
a transaction allows), and the sweeper removes files nobody referred to in time.
"""

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import Binary, Int64, ObjectId
from gridfs import AsyncGridFSBucket
from gridfs.asynchronous.grid_file import AsyncGridOut
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.contracts.attachments import AttachmentInfo
from shared.documents.errors import (
    EmptyDocument,
    TooLarge,
    UnknownAttachment,
    UnsupportedDocument,
)
from shared.documents.media import SNIFF_BYTES, safe_name, sniff
from shared.mongo import Document

CHUNK_BYTES = 255 * 1024  # GridFS' default chunk size


@dataclass(frozen=True)
class DocumentLimits:
    max_file_bytes: int
    max_parent_bytes: int
    grace: timedelta


@dataclass(frozen=True)
class Uploader:
    """Who uploaded: the name shown everywhere, and the key that did it (for the audit)."""

    name: str
    key_id: str


@dataclass(frozen=True)
class StoredDocument:
    info: AttachmentInfo
    parent: str
    references: tuple[str, ...]
    uploader_key: str

    @property
    def referenced(self) -> bool:
        return bool(self.references)


Admits = Callable[[StoredDocument], bool]
"""A service's read rule for one caller."""


def _anyone(stored: StoredDocument) -> bool:
    return True


class DocumentStore:
    def __init__(
        self,
        database: AsyncDatabase[Document],
        limits: DocumentLimits,
        bucket: str = "attachments",
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        self.limits, self.chunk_bytes = limits, chunk_bytes
        self.bucket = AsyncGridFSBucket(database, bucket, chunk_size_bytes=chunk_bytes)
        self.files = database[f"{bucket}.files"]
        self.chunks = database[f"{bucket}.chunks"]

    async def create_indexes(self) -> None:
        """GridFS' own indexes, plus lookups by parent and hash and the sweeper's."""
        await self.chunks.create_index([("files_id", ASCENDING), ("n", ASCENDING)], unique=True)
        await self.files.create_index([("filename", ASCENDING), ("uploadDate", ASCENDING)])
        await self.files.create_index([("metadata.parent", ASCENDING), ("metadata.sha256", 1)])
        await self.files.create_index(
            [("metadata.referenced", ASCENDING), ("metadata.unreferenced_at", ASCENDING)]
        )

    async def upload(
        self,
        parent: str,
        name: str | None,
        pieces: AsyncIterator[bytes],
        uploader: Uploader,
        *,
        admits: Admits = _anyone,
    ) -> AttachmentInfo:
        """Stream the file in; the same bytes already on this parent are returned instead,
        when ``admits`` says the uploader may see that file (else it is stored again, so
        dedupe never reveals a file the uploader may not read).

        On any failure, an interrupted request included, the chunks written so far are
        removed before the error goes on: nothing is left half stored."""
        room = self.limits.max_parent_bytes - await self._used(parent)
        file_id = ObjectId()
        try:
            written = await _ChunkWriter(self, file_id, room, name or "").consume(pieces)
            return await self._finish(parent, file_id, name, written, uploader, admits)
        except BaseException:
            await asyncio.shield(self.chunks.delete_many({"files_id": file_id}))
            raise

    async def _finish(
        self,
        parent: str,
        file_id: ObjectId,
        name: str | None,
        written: "_Written",
        uploader: Uploader,
        admits: "Admits",
    ) -> AttachmentInfo:
        same = self.files.find({"metadata.parent": parent, "metadata.sha256": written.sha256})
        async for document in same.sort("_id", 1):
            if admits(_stored(document)):
                await self.chunks.delete_many({"files_id": file_id})
                return _stored(document).info
        filename = safe_name(name, written.media_type)
        now = _to_milliseconds(datetime.now(UTC))
        metadata = {
            "parent": parent,
            "media_type": written.media_type,
            "sha256": written.sha256,
            "uploaded_by": uploader.name,
            "uploader_key": uploader.key_id,
            "references": [],
            "referenced": False,
            "unreferenced_at": now,
        }
        document = {
            "_id": file_id,
            "length": Int64(written.size),
            "chunkSize": self.chunk_bytes,
            "uploadDate": now,
            "filename": filename,
            "metadata": metadata,
        }
        await self.files.insert_one(document)
        # Two identical uploads at once: the older file wins, the younger removes itself.
        older = await self.files.find_one(
            {
                "metadata.parent": parent,
                "metadata.sha256": written.sha256,
                "metadata.uploader_key": uploader.key_id,
                "_id": {"$lt": file_id},
            }
        )
        if older is not None:
            await self.bucket.delete(file_id)
            return _stored(older).info
        return _stored(document).info

    async def _used(self, parent: str) -> int:
        totals = await self.files.aggregate(
            [
                {"$match": {"metadata.parent": parent}},
                {"$group": {"_id": None, "bytes": {"$sum": "$length"}}},
            ]
        )
        async for total in totals:
            return int(total["bytes"])
        return 0

    async def get(self, parents: Sequence[str], attachment_id: str) -> StoredDocument | None:
        """The attachment if it belongs to one of ``parents``; None for any other id."""
        if not ObjectId.is_valid(attachment_id):
            return None
        criteria = {"_id": ObjectId(attachment_id), "metadata.parent": {"$in": list(parents)}}
        document = await self.files.find_one(criteria)
        return None if document is None else _stored(document)

    async def of(self, parents: Sequence[str]) -> list[StoredDocument]:
        cursor = self.files.find({"metadata.parent": {"$in": list(parents)}}).sort("_id", 1)
        return [_stored(document) async for document in cursor]

    async def refer(
        self,
        parent: str,
        ids: Sequence[str],
        reference: str,
        session: AsyncClientSession,
        *,
        field: str,
        admits: "Admits" = _anyone,
    ) -> list[AttachmentInfo]:
        """Record that ``reference`` (a reply, a draft) uses these files, inside the caller's
        transaction. An id of another parent, or one ``admits`` refuses, is refused by name."""
        infos = []
        for index, attachment_id in enumerate(ids):
            found = await self._in_session(parent, attachment_id, session)
            if found is None or not admits(found):
                raise UnknownAttachment(
                    f"no attachment {attachment_id} here that this caller may use",
                    field=f"{field}.{index}",
                )
            await self.files.update_one(
                {"_id": ObjectId(attachment_id)},
                {"$addToSet": {"metadata.references": reference}, "$set": _REFERENCED},
                session=session,
            )
            infos.append(found.info)
        return infos

    async def release(
        self, parent: str, ids: Sequence[str], reference: str, session: AsyncClientSession
    ) -> None:
        """``reference`` no longer uses these files; unreferenced, the sweeper takes them."""
        for attachment_id in ids:
            criteria = {"_id": ObjectId(attachment_id), "metadata.parent": parent}
            await self.files.update_one(
                criteria, {"$pull": {"metadata.references": reference}}, session=session
            )
            await self.files.update_one(
                {**criteria, "metadata.references": {"$size": 0}},
                {"$set": {**_UNREFERENCED, "metadata.unreferenced_at": datetime.now(UTC)}},
                session=session,
            )

    async def _in_session(
        self, parent: str, attachment_id: str, session: AsyncClientSession
    ) -> StoredDocument | None:
        if not ObjectId.is_valid(attachment_id):
            return None
        criteria = {"_id": ObjectId(attachment_id), "metadata.parent": parent}
        document = await self.files.find_one(criteria, session=session)
        return None if document is None else _stored(document)

    async def open(self, stored: StoredDocument) -> AsyncGridOut:
        return await self.bucket.open_download_stream(ObjectId(stored.info.attachment_id))

    async def sweep(self, now: datetime) -> int:
        """Remove files no committed change has referred to for the grace period (never
        referenced, or released by every change), and the chunks of uploads that never
        finished (a process killed mid-upload)."""
        cutoff = now - self.limits.grace
        removed = 0
        stale = self.files.find(
            {**_UNREFERENCED, "metadata.unreferenced_at": {"$lt": cutoff}}, {"_id": 1}
        )
        async for document in stale:
            # Conditional: a reference committed meanwhile keeps the file.
            gone = await self.files.delete_one({"_id": document["_id"], **_UNREFERENCED})
            if gone.deleted_count:
                await self.chunks.delete_many({"files_id": document["_id"]})
                removed += 1
        return removed + await self._sweep_orphan_chunks(cutoff)

    async def _sweep_orphan_chunks(self, cutoff: datetime) -> int:
        # A file id is an ObjectId made when the upload began: its time says how old it is.
        old = {"files_id": {"$lt": ObjectId.from_datetime(cutoff)}}
        file_ids = await self.chunks.distinct("files_id", old)
        known = {
            document["_id"]
            async for document in self.files.find({"_id": {"$in": file_ids}}, {"_id": 1})
        }
        orphans = [file_id for file_id in file_ids if file_id not in known]
        if orphans:
            await self.chunks.delete_many({"files_id": {"$in": orphans}})
        return len(orphans)


_REFERENCED = {"metadata.referenced": True}
_UNREFERENCED = {"metadata.referenced": False}


@dataclass(frozen=True)
class _Written:
    size: int
    sha256: str
    media_type: str


class _ChunkWriter:
    """Writes one GridFS chunk at a time; sniffs the type before the first byte is stored."""

    def __init__(self, store: DocumentStore, file_id: ObjectId, room: int, name: str) -> None:
        self.store, self.file_id, self.room, self.name = store, file_id, room, name
        self.buffer = bytearray()
        self.digest = hashlib.sha256()
        self.size = self.chunk_number = 0
        self.media_type: str | None = None

    async def consume(self, pieces: AsyncIterator[bytes]) -> _Written:
        async for piece in pieces:
            self._count(len(piece))
            self.digest.update(piece)
            self.buffer += piece
            if self.media_type is None and len(self.buffer) >= SNIFF_BYTES:
                self.media_type = self._sniff()
            while len(self.buffer) >= self.store.chunk_bytes:
                await self._write(self.store.chunk_bytes)
        if self.size == 0:
            raise EmptyDocument("the file is empty", field="body.file")
        media_type = self.media_type or self._sniff()
        if self.buffer:
            await self._write(len(self.buffer))
        return _Written(self.size, self.digest.hexdigest(), media_type)

    def _count(self, more: int) -> None:
        self.size += more
        limits = self.store.limits
        if self.size > limits.max_file_bytes:
            raise TooLarge(f"a file may hold at most {limits.max_file_bytes} bytes", limit="file")
        if self.size > self.room:
            raise TooLarge(
                f"the attachments of one parent may hold at most {limits.max_parent_bytes} bytes",
                limit="parent",
            )

    def _sniff(self) -> str:
        media_type = sniff(bytes(self.buffer[:SNIFF_BYTES]), self.name)
        if media_type is None:
            raise UnsupportedDocument(
                "the file is not a PDF, Office document, image, CSV, plain text or ZIP"
            )
        return media_type

    async def _write(self, length: int) -> None:
        data = Binary(bytes(self.buffer[:length]))
        del self.buffer[:length]
        chunk = {"files_id": self.file_id, "n": self.chunk_number, "data": data}
        await self.store.chunks.insert_one(chunk)
        self.chunk_number += 1


def _to_milliseconds(moment: datetime) -> datetime:
    """BSON dates hold milliseconds: the answer to an upload matches what is read later."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _stored(document: Document) -> StoredDocument:
    metadata: dict[str, Any] = document["metadata"]
    info = AttachmentInfo(
        attachment_id=str(document["_id"]),
        name=document["filename"],
        media_type=metadata["media_type"],
        size=int(document["length"]),
        sha256=metadata["sha256"],
        uploaded_by=metadata["uploaded_by"],
        uploaded_at=document["uploadDate"],
    )
    return StoredDocument(
        info=info,
        parent=metadata["parent"],
        references=tuple(metadata.get("references", [])),
        uploader_key=metadata.get("uploader_key", ""),
    )
