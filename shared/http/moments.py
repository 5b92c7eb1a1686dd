"""Times and days a caller sends: only ones the desk can store and compute with.

Python's ``datetime`` ends at the year 9999 and begins at the year 1, and BSON stores a
time in UTC: ``9999-12-31T23:59:59-12:00`` is valid RFC 3339 but has no UTC value, and a
report "to 9999-12-31, inclusive" has no day after. Such input is refused where it is
parsed (a 422 naming the field) instead of failing deep inside a query as a 500.
"""

from datetime import UTC, date, datetime, time, timedelta

SPARE = timedelta(days=2)
"""Room on either side for the arithmetic the desk does (the day after a period's end,
a time zone's offset)."""


def storable(value: date) -> date:
    """An ``AfterValidator`` for a day or a time (a ``datetime`` is a ``date``)."""
    moment = value if isinstance(value, datetime) else datetime.combine(value, time())
    try:
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        moment.replace(tzinfo=None) - SPARE, moment.replace(tzinfo=None) + SPARE
    except OverflowError:
        raise ValueError("a time between the years 1 and 9999, in UTC too") from None
    return value
