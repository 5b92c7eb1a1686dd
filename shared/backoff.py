"""How long to wait before trying again: one doubling pause for every retry of the desk."""


def doubling_pause(attempt: int, first_seconds: float, most_seconds: float) -> float:
    """The pause before try number ``attempt`` after a failure (1 after the first):
    ``first_seconds``, doubled for each failure in a row, never more than ``most_seconds``.
    A fault that passes costs little; one that lasts is not hammered."""
    # The exponent is capped too: an outage of days must not overflow the float.
    doublings = min(max(attempt, 1) - 1, 32)
    return min(most_seconds, first_seconds * 2.0**doublings)
