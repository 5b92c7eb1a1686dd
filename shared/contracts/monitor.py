"""Events the monitor publishes on ``jamp.monitor.v1``: operator actions and lag alerts."""
