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

    def owner_of(self, topic: str) -> str | None:
        """The stream a topic of ours carries (``jamp.companies.v1`` → ``companies``)."""
        head, suffix = f"{self.prefix}.", ".v1"
        if topic.startswith(head) and topic.endswith(suffix):
            return topic[len(head) : -len(suffix)]
        return None

    def all(self) -> list[str]:
        """Every stream and its dead-letter twin."""
        names = [self.of(owner) for owner in streams()]
        return names + [dead_letter_topic(name) for name in names]


def dead_letter_topic(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"


def family(event_type: str) -> str:
    """A type's family: its name without action and version (``jamp.company``)."""
    return event_type.rsplit(".", 2)[0]


def belongs_to(event_type: str, stream: str) -> bool:
    """Whether a type, known or not, is of the family of the stream's own types."""
    families = {family(name) for name, model in EVENT_TYPES.items() if model.stream == stream}
    return family(event_type) in families
