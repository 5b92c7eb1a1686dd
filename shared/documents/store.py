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
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime

from bson import Int64, ObjectId
from gridfs import AsyncGridFSBucket
from gridfs.asynchronous.grid_file import AsyncGridOut
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.clock import utc_now
from shared.contracts.attachments import AttachmentInfo
from shared.documents.errors import UnknownAttachment
from shared.documents.media import safe_name, with_true_extension
from shared.documents.records import (
    DocumentLimits,
    StoredDocument,
    Uploader,
    stored_of,
    to_milliseconds,
)
from shared.documents.writer import ChunkWriter, Written
from shared.mongo import Document

CHUNK_BYTES = 255 * 1024  # GridFS' default chunk size
Admits = Callable[[StoredDocument], bool]
"""A service's read rule for one caller."""


def anyone(stored: StoredDocument) -> bool:
    """The read rule of a parent whose every file each caller that sees it may read."""
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
        admits: Admits = anyone,
    ) -> AttachmentInfo:
        """Stream the file in; the same bytes already on this parent are returned instead,
        when ``admits`` says the uploader may see that file (else it is stored again, so
        dedupe never reveals a file the uploader may not read).

        On any failure, an interrupted request included, the chunks written so far are
        removed before the error goes on: nothing is left half stored."""
        room = self.limits.max_parent_bytes - await self._used(parent)
        file_id = ObjectId()
        try:
            written = await ChunkWriter(
                self.chunks, self.chunk_bytes, self.limits, file_id, room, name or ""
            ).consume(pieces)
            return await self._finish(parent, file_id, name, written, uploader, admits)
        except BaseException:
            await asyncio.shield(self.chunks.delete_many({"files_id": file_id}))
            raise

    async def _finish(
        self,
        parent: str,
        file_id: ObjectId,
        name: str | None,
        written: Written,
        uploader: Uploader,
        admits: Admits,
    ) -> AttachmentInfo:
        same = self.files.find({"metadata.parent": parent, "metadata.sha256": written.sha256})
        async for document in same.sort("_id", 1):
            if admits(stored_of(document)):
                await self.chunks.delete_many({"files_id": file_id})
                return stored_of(document).info
        filename = with_true_extension(safe_name(name, written.media_type), written.media_type)
        now = to_milliseconds(utc_now())
        metadata: Document = {
            "parent": parent,
            "media_type": written.media_type,
            "sha256": written.sha256,
            "uploaded_by": uploader.name,
            "uploaded_by_person": None if uploader.person is None else uploader.person.model_dump(),
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
            return stored_of(older).info
        return stored_of(document).info

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
        return None if document is None else stored_of(document)

    async def of(self, parents: Sequence[str]) -> list[StoredDocument]:
        cursor = self.files.find({"metadata.parent": {"$in": list(parents)}}).sort("_id", 1)
        return [stored_of(document) async for document in cursor]

    async def refer(
        self,
        parent: str,
        ids: Sequence[str],
        reference: str,
        session: AsyncClientSession,
        *,
        field: str,
        admits: Admits = anyone,
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
                {"$set": {**_UNREFERENCED, "metadata.unreferenced_at": utc_now()}},
                session=session,
            )

    async def _in_session(
        self, parent: str, attachment_id: str, session: AsyncClientSession
    ) -> StoredDocument | None:
        if not ObjectId.is_valid(attachment_id):
            return None
        criteria = {"_id": ObjectId(attachment_id), "metadata.parent": parent}
        document = await self.files.find_one(criteria, session=session)
        return None if document is None else stored_of(document)

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
