"""Dead letters: the ledger of ``.dlq`` records, the dry run against today's schema,
and the operator's replay (to the DLQ's own topic) and discard."""
