"""The streams: the raw tail that reads every topic as the monitor's own group, the
live-tail fan-out, and the overview of offsets, rates and each consumer group's lag."""
