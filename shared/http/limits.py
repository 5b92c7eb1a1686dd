"""Bounds every request's values share, whatever the field: what MongoDB can store."""

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
