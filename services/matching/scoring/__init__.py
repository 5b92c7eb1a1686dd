"""Scoring: profiles as features and vectors, every pair at once, and list selection."""
