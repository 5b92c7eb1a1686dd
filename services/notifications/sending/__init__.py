"""How mail leaves: the relay, and the dispatcher that sends what the ledger holds."""
