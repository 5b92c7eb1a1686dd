"""Lag alerting: thresholds per consumer group, and the alert raised or cleared as a
group's lag crosses them."""
