"""A stored file as an HTTP download: streamed, never rendered inline, ranges honoured."""

from urllib.parse import quote

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from gridfs.asynchronous.grid_file import AsyncGridOut

from shared.contracts.attachments import AttachmentInfo
from shared.documents import ranges
from shared.documents.records import StoredDocument
from shared.documents.store import DocumentStore
from shared.http.problems import RangeNotSatisfiable

PIECE_BYTES = 64 * 1024


async def download(
    request: web.Request, store: DocumentStore, stored: StoredDocument
) -> web.StreamResponse:
    """The file, or the one byte range the request asks for (416 problem when none fits)."""
    info = stored.info
    try:
        wanted = ranges.requested_range(request.headers.get("Range"), info.size)
    except ranges.RangeNotSatisfiable:
        raise RangeNotSatisfiable(f"the file has {info.size} bytes", info.size) from None
    return DocumentResponse(info, await store.open(stored), wanted)


class DocumentResponse(web.StreamResponse):
    """Headers are set at construction and the bytes written in ``prepare``, as aiohttp's
    own FileResponse does, so middlewares still add their headers to a download."""

    def __init__(
        self, info: AttachmentInfo, grid_out: AsyncGridOut, wanted: ranges.ByteRange | None
    ) -> None:
        super().__init__(status=200 if wanted is None else 206)
        self.grid_out = grid_out
        self.span = wanted or ranges.ByteRange(0, info.size - 1)
        if wanted is not None:
            self.headers["Content-Range"] = wanted.content_range(info.size)
        self.content_type = info.media_type
        self.content_length = self.span.length
        self.headers.update(
            {
                "Content-Disposition": disposition(info.name),
                "X-Content-Type-Options": "nosniff",
                "Accept-Ranges": "bytes",
                "ETag": f'"{info.sha256}"',
                "Cache-Control": "private, no-cache",
                "Content-Security-Policy": "default-src 'none'; sandbox",
            }
        )

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        writer = await super().prepare(request)
        if request.method == "HEAD":
            return writer
        await self.grid_out.seek(self.span.start)
        left = self.span.length
        while left > 0:
            piece = await self.grid_out.read(min(PIECE_BYTES, left))
            if not piece:
                break
            await self.write(piece)
            left -= len(piece)
        return writer


def disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name in RFC 8187 form."""
    fallback = name.encode("ascii", "replace").decode("ascii").replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
