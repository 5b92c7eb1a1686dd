"""Bounds every request's values share, whatever the field."""

# I-JSON (RFC 7493): integers every JSON client holds exactly. Within 64 bits with room to
# spare, so a stored counter (a version) can still be incremented.
MAX_INTEGER = 2**53 - 1
MIN_INTEGER = -MAX_INTEGER
