"""Trace context: the W3C ``traceparent`` and the request and correlation ids carried by
requests and events."""

import re
import secrets

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
# Ids a client may choose: short, and nothing a log line, header or query could trip on.
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def accepted_id(candidate: str | None) -> str | None:
    """A client-chosen request or correlation id if it is short and safe, else None (the
    caller then makes its own)."""
    return candidate if candidate is not None and _CLIENT_ID.fullmatch(candidate) else None


def new_traceparent() -> str:
    """A fresh trace with a fresh span, sampled."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def child_traceparent(parent: str | None) -> str:
    """A new span in the parent's trace; a new trace when the parent is absent or malformed."""
    match = _TRACEPARENT.match(parent or "")
    if match is None or _all_zero(match.group(1)) or _all_zero(match.group(2)):
        return new_traceparent()  # W3C: all-zero ids are invalid, start afresh
    trace_id, _, flags = match.groups()
    return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"


def _all_zero(hex_id: str) -> bool:
    return not hex_id.strip("0")
