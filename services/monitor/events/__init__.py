"""The event index: every record of every desk topic as the tail reads it, filed
(idempotently) with its envelope's attributes, searched by field and free text, and
followed across services as a trace."""
