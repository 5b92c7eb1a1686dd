"""The managed list of queues and their escalation settings. Pure: no I/O.

An inquiry is always in one of these queues: routing rules, reassignments and
escalations may name only queues of the list. Each country desk has its own queue, which
only that country's inquiries enter and only people who may work them staff: a queue's
members are mailed its new inquiries, and its supervisor is assigned those that breach.
"""

from typing import Annotated, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.auth import may_work
from shared.contracts.vocabulary import ASEAN_STATES

QueueName = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=60)]
PersonId = Annotated[str, Field(min_length=1, max_length=64)]


class Named(Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=Named)


def named_once(items: list[N], kind: str) -> list[N]:
    """A list validator: no name twice (a managed list of queues, of tags)."""
    seen: set[str] = set()
    for item in items:
        if item.name in seen:
            raise ValueError(f"{kind} {item.name!r} is listed twice")
        seen.add(item.name)
    return items


def country_desk(country: str) -> str:
    return f"desk-{country.lower()}"


DESK_QUEUES = {country_desk(country): country for country in ASEAN_STATES}
"""Each country desk's own queue, and its country."""


def desk_of(queue: str) -> str | None:
    """The country whose desk queue this is; None for a queue every desk shares."""
    return DESK_QUEUES.get(queue)


def may_enter(queue: str, country: str) -> bool:
    """Whether an inquiry of ``country`` may be in ``queue``: not in another desk's own."""
    return desk_of(queue) in (None, country)


def may_staff(queue: str, grants: set[str]) -> bool:
    """Whether a person holding these grants may be a queue's member or supervisor: any key
    for a queue every desk shares, one that may work its country for a desk's own."""
    country = desk_of(queue)
    return bool(grants) and (country is None or may_work(grants, country))


def other_desks_refusal(queue: str, country: str) -> str:
    return (
        f"{queue!r} is the {desk_of(queue)} desk's own queue; a {country} inquiry never enters it"
    )


class Queue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: QueueName
    description: str = Field(default="", max_length=300)
    notify_on_warning: bool = Field(
        default=True, description="On an SLA warning, tell the assigned officer (an event)"
    )
    escalate_to: QueueName | None = Field(
        default=None, description="On an SLA breach, move the inquiry to this queue"
    )
    supervisor: PersonId | None = Field(
        default=None, description="On an SLA breach, assign the inquiry to this person"
    )
    members: list[PersonId] = Field(
        default=[],
        max_length=100,
        description="The people who work the queue (each holding a key): told of its new inquiries",
    )

    @field_validator("members")
    @classmethod
    def _members_once(cls, members: list[str]) -> list[str]:
        if len(set(members)) != len(members):
            raise ValueError("a person is listed twice")
        return members


class Queues(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "queues": [
                        {"name": "desk-vn", "escalate_to": "desk-leads"},
                        {"name": "desk-leads", "notify_on_warning": True},
                    ],
                    "version": 0,
                }
            ]
        },
    )

    queues: list[Queue] = Field(min_length=1, max_length=200)
    version: int = 0

    @field_validator("queues")
    @classmethod
    def _distinct_and_escalating_to_known_queues(cls, queues: list[Queue]) -> list[Queue]:
        names = {queue.name for queue in named_once(queues, "queue")}
        for queue in queues:
            if queue.escalate_to == queue.name:
                raise ValueError(f"queue {queue.name!r} cannot escalate to itself")
            if queue.escalate_to is not None and queue.escalate_to not in names:
                raise ValueError(f"queue {queue.name!r} escalates to unknown {queue.escalate_to!r}")
            target = queue.escalate_to and desk_of(queue.escalate_to)
            if target and target != desk_of(queue.name):
                raise ValueError(
                    f"queue {queue.name!r} escalates to {queue.escalate_to!r}, the {target} "
                    "desk's own queue, which only its country's inquiries enter"
                )
        return queues

    @property
    def names(self) -> frozenset[str]:
        return frozenset(queue.name for queue in self.queues)

    def get(self, name: str) -> Queue | None:
        return next((queue for queue in self.queues if queue.name == name), None)

    def without(self, person_id: str, grants: set[str]) -> "Queues":
        """The list with the person taken off every queue their grants no longer staff
        (``may_staff``): out of its members, and no longer its supervisor."""
        queues = [
            queue
            if may_staff(queue.name, grants)
            else queue.model_copy(
                update={
                    "members": [member for member in queue.members if member != person_id],
                    "supervisor": None if queue.supervisor == person_id else queue.supervisor,
                }
            )
            for queue in self.queues
        ]
        return self.model_copy(update={"queues": queues})


DEFAULT_QUEUES = Queues(
    queues=[
        *(Queue(name=country_desk(country)) for country in sorted(ASEAN_STATES)),
        Queue(name="jbic-join-liaison", description="JBIC and JOIN financing"),
        Queue(name="mlit-smart-jamp", description="Project formation, feasibility studies"),
        Queue(name="matching", description="Partner search"),
    ]
)
