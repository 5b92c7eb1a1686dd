"""Who operates the desk and what they did: people and their keys (the admin API),
and the audit log of every operator action."""
