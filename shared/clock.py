"""The desk's one clock: UTC, to the millisecond.

BSON keeps a date to the millisecond, so a time taken to the microsecond would be answered
one way by the write that made it (and the event that told of it) and another by every read
after it. Taking it at the precision it is stored in keeps the three the same.
"""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Now, in UTC, truncated to the millisecond as MongoDB stores it."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
