"""HTTP Range requests (RFC 9110 §14) over a file of known size. Pure."""

import re
from dataclasses import dataclass

_BYTES_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    """No byte of the asked range lies inside the file: 416."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int
    """Inclusive, as in ``Content-Range``."""

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def requested_range(header: str | None, size: int) -> ByteRange | None:
    """The one range asked for, or None for the whole file.

    A header we do not understand, or several ranges, is answered with the whole file,
    which RFC 9110 allows a server to do."""
    if not header:
        return None
    match = _BYTES_RANGE.match(header.replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return ByteRange(max(size - suffix, 0), size - 1)
    start = int(first)
    if start >= size:
        raise RangeNotSatisfiable(header)
    end = min(int(last), size - 1) if last else size - 1
    if end < start:
        return None
    return ByteRange(start, end)
