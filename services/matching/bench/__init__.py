"""Benchmarks of the matching service (quality, scale, live)."""
