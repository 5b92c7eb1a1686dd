"""The review workflow as an explicit state machine. Pure: no I/O.

    draft → submitted → under_review → accepted | rejected
    accepted → matched → closed   (an accepted proposal may also close unmatched)
    draft | submitted | under_review → withdrawn   (the city changes its mind)

Who may take each step is declared on its route; what the step needs (a reason) and where
it may start is declared here, once (the routes read ``reason_required`` to pick the body).
"""

from dataclasses import dataclass
from typing import Literal

from shared.contracts.proposals import ProposalStatus
from shared.errors import DomainError

Action = Literal["submit", "review", "accept", "reject", "match", "close", "withdraw"]


@dataclass(frozen=True)
class Step:
    sources: frozenset[ProposalStatus]
    target: ProposalStatus
    reason_required: bool = False


WORKFLOW: dict[Action, Step] = {
    "submit": Step(frozenset({"draft"}), "submitted"),
    "review": Step(frozenset({"submitted"}), "under_review"),
    "accept": Step(frozenset({"under_review"}), "accepted"),
    "reject": Step(frozenset({"under_review"}), "rejected", reason_required=True),
    "match": Step(frozenset({"accepted"}), "matched"),
    "close": Step(frozenset({"accepted", "matched"}), "closed"),
    "withdraw": Step(frozenset({"draft", "submitted", "under_review"}), "withdrawn", True),
}


class IllegalTransition(DomainError):
    pass


def next_status(current: ProposalStatus, action: Action) -> ProposalStatus:
    """Where ``action`` leads from ``current``, or why it may not be taken."""
    step = WORKFLOW[action]
    if current not in step.sources:
        allowed = ", ".join(sorted(step.sources))
        raise IllegalTransition(
            f"cannot {action} a proposal that is {current} (only from {allowed})",
            current_status=current,
        )
    return step.target
