"""Outgoing webhooks: subscriptions (with pause, secret rotation, deletion, a test ping),
their signed deliveries, retried and sent again on request, and the dispatcher."""
