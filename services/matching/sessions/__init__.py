"""Business-matching sessions: meetings, scheduling, outcomes."""
