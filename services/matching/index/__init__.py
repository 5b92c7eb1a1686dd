"""The long-lived matching index: the pool in memory, updated in place by each event."""
