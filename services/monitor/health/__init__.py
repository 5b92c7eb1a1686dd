"""The desk's health: each service's readiness and request, error and consumer
rates, read from its /readyz and /metrics."""
