"""What of a record the index can store as read. Pure: no I/O.

A record is written by whoever can write to a topic; the monitor reads every one. BSON
has no room for a NUL in a field name or an integer past 64 bits, MongoDB keeps no
document nested more than 100 levels, Python's datetime ends in the year 9999, and the
monitor's own walks of a payload (masking, search terms) recurse once per level. Any of
those in one record made its write fail, and the tail retried that poll for ever.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

MAX_DEPTH = 64
"""Levels of objects and arrays in one record's JSON; events use fewer than ten."""
_INT64 = range(-(2**63), 2**63)
# Each digit read as 0, so that a number of 19 digits or more is one search of the text.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# BSON keeps milliseconds: the last instant is the last millisecond of the year 9999.
_FIRST = datetime.min.replace(tzinfo=UTC)
_LAST = datetime.max.replace(microsecond=999_000, tzinfo=UTC)
REPLACEMENT = "\ufffd"


def unstorable(document: Any, text: bytes) -> str | None:
    """Why a parsed JSON value cannot be indexed as it is, or None when it can. ``text`` is
    the JSON it was read from: one with few brackets, no escaped NUL and no long number
    (nearly every event) passes unwalked; the walk needs no recursion, as the depth it
    checks is the one a recursive walk would fail on."""
    if _surely_storable(text):
        return None
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list) and depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels"
        if isinstance(value, dict):
            if any("\x00" in name for name in value):
                return "a field name contains a NUL character"
            pending += [(inner, depth + 1) for inner in value.values()]
        elif isinstance(value, list):
            pending += [(inner, depth + 1) for inner in value]
        elif isinstance(value, int) and value not in _INT64:
            return "a number does not fit in 64 bits"
    return None


def _surely_storable(text: bytes) -> bool:
    """No more brackets than levels allowed, no escaped NUL, no number past 18 digits."""
    if text.count(b"{") + text.count(b"[") > MAX_DEPTH or b"\\u0000" in text:
        return False
    return _LONG_NUMBER not in text.translate(_DIGITS_AS_ZERO)


def record_time(timestamp_ms: int) -> datetime:
    """A record's timestamp as a datetime; one past what a datetime holds (a producer may
    set any 64-bit number) is the nearest instant that it does."""
    try:
        return _EPOCH + timedelta(milliseconds=timestamp_ms)
    except OverflowError:
        return _LAST if timestamp_ms > 0 else _FIRST


def field_name(name: str) -> str:
    """A name (a header's) as a stored field name: a NUL shows as the replacement character,
    as undecodable bytes do."""
    return name.replace("\x00", REPLACEMENT)
