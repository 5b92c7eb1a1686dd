"""Topic names: ``<prefix>.<owning service>.v1`` and their ``.dlq`` twins."""

from dataclasses import dataclass

DLQ_SUFFIX = ".dlq"
# Streams that exist today, by owner; each gets a dead-letter twin.
STREAMS = ("companies", "identity")


@dataclass(frozen=True)
class Topics:
    prefix: str

    def of(self, owner: str) -> str:
        return f"{self.prefix}.{owner}.v1"

    def all(self) -> list[str]:
        """Every stream and its dead-letter twin."""
        names = [self.of(owner) for owner in STREAMS]
        return names + [dead_letter_topic(name) for name in names]


def dead_letter_topic(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"
