"""multipart/form-data uploads, streamed: a view reads the file part piece by piece."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import unquote

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from shared.http.problems import BadRequest, InvalidValue, UnsupportedMediaType

PIECE_BYTES = 64 * 1024
# What aiohttp's multipart reader raises for a body that is not multipart: ValueError for
# boundaries, its own HTTP errors (InvalidHeader) for a part's header lines.
MALFORMED = (ValueError, HttpProcessingError)


@dataclass(frozen=True)
class FileUpload:
    """One file part: the name the client gave (untrusted) and its bytes as a stream."""

    field: str
    filename: str | None
    pieces: AsyncIterator[bytes]


async def file_part(request: web.Request, field: str) -> FileUpload:
    """The first part named ``field``; other form fields before it are skipped."""
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType(
            f"send the file as multipart/form-data in a part named {field!r}, "
            f"not {request.content_type!r}"
        )
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.name == field:
                return FileUpload(field, _name(part.filename), _pieces(part))
            await part.release()
    except MALFORMED as error:  # a malformed boundary or part header
        raise BadRequest(f"the multipart body is malformed: {error}") from None
    raise InvalidValue(f"a file part named {field!r} is required", field=f"body.{field}")


def _name(sent: str | None) -> str | None:
    # Clients percent-encode what a quoted header value cannot hold (aiohttp encodes more);
    # the store sanitises what decoding reveals.
    return None if sent is None else unquote(sent)


async def _pieces(part: BodyPartReader) -> AsyncIterator[bytes]:
    try:
        while piece := await part.read_chunk(PIECE_BYTES):
            yield piece
    except MALFORMED as error:
        raise BadRequest(f"the multipart body is malformed: {error}") from None
