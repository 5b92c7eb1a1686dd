"""Topic names: ``<prefix>.<owning service>.v1`` and their ``.dlq`` twins."""

from dataclasses import dataclass

from shared.contracts import EVENT_TYPES

DLQ_SUFFIX = ".dlq"


def streams() -> list[str]:
    """Every stream some published event type goes to."""
    return sorted({model.stream for model in EVENT_TYPES.values()})


@dataclass(frozen=True)
class Topics:
    prefix: str

    def of(self, owner: str) -> str:
        return f"{self.prefix}.{owner}.v1"

    def all(self) -> list[str]:
        """Every stream and its dead-letter twin."""
        names = [self.of(owner) for owner in streams()]
        return names + [dead_letter_topic(name) for name in names]


def dead_letter_topic(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"
