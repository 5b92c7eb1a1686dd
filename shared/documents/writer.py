"""Writing one upload into GridFS' chunks collection, a chunk at a time. Nothing else."""

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bson import Binary, ObjectId
from pymongo.asynchronous.collection import AsyncCollection

from shared.documents.errors import EmptyDocument, TooLarge, UnsupportedDocument
from shared.documents.media import SNIFF_BYTES, TextCheck, is_text_type, sniff
from shared.documents.records import DocumentLimits
from shared.mongo import Document


@dataclass(frozen=True)
class Written:
    size: int
    sha256: str
    media_type: str


class ChunkWriter:
    """Writes one GridFS chunk at a time; sniffs the type before the first byte is stored."""

    def __init__(
        self,
        chunks: AsyncCollection[Document],
        chunk_bytes: int,
        limits: DocumentLimits,
        file_id: ObjectId,
        room: int,
        name: str,
    ) -> None:
        self.chunks, self.chunk_bytes, self.limits = chunks, chunk_bytes, limits
        self.file_id, self.room, self.name = file_id, room, name
        self.buffer = bytearray()
        self.digest = hashlib.sha256()
        self.size = self.chunk_number = 0
        self.media_type: str | None = None
        self.text = TextCheck()

    async def consume(self, pieces: AsyncIterator[bytes]) -> Written:
        async for piece in pieces:
            self._count(len(piece))
            self.digest.update(piece)
            self.text.feed(piece)
            self.buffer += piece
            if self.media_type is None and len(self.buffer) >= SNIFF_BYTES:
                self.media_type = self._sniff()
            self._still_text()
            while len(self.buffer) >= self.chunk_bytes:
                await self._write(self.chunk_bytes)
        if self.size == 0:
            raise EmptyDocument("the file is empty", field="body.file")
        self.text.feed(b"", final=True)
        media_type = self.media_type = self.media_type or self._sniff()
        self._still_text()
        if self.buffer:
            await self._write(len(self.buffer))
        return Written(self.size, self.digest.hexdigest(), media_type)

    def _count(self, more: int) -> None:
        self.size += more
        limits = self.limits
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

    def _still_text(self) -> None:
        """A file sniffed as text must be text to its last byte, not only in its head."""
        if self.media_type is not None and is_text_type(self.media_type) and not self.text.holds:
            raise UnsupportedDocument(
                "the file begins as text but is not UTF-8 text without control characters "
                "throughout"
            )

    async def _write(self, length: int) -> None:
        data = Binary(bytes(self.buffer[:length]))
        del self.buffer[:length]
        chunk = {"files_id": self.file_id, "n": self.chunk_number, "data": data}
        await self.chunks.insert_one(chunk)
        self.chunk_number += 1
