"""The review workflow: every action from every state, legal or not."""

from typing import get_args

import pytest

from services.proposals.workflow import WORKFLOW, Action, IllegalTransition, next_status
from shared.contracts.proposals import ProposalStatus

STATES: tuple[ProposalStatus, ...] = get_args(ProposalStatus)
LEGAL: dict[tuple[ProposalStatus, Action], ProposalStatus] = {
    ("draft", "submit"): "submitted",
    ("submitted", "review"): "under_review",
    ("under_review", "accept"): "accepted",
    ("under_review", "reject"): "rejected",
    ("accepted", "match"): "matched",
    ("accepted", "close"): "closed",
    ("matched", "close"): "closed",
    ("draft", "withdraw"): "withdrawn",
    ("submitted", "withdraw"): "withdrawn",
    ("under_review", "withdraw"): "withdrawn",
}
ALL_PAIRS = [(state, action) for state in STATES for action in WORKFLOW]


@pytest.mark.parametrize(("state", "action"), list(LEGAL))
def test_a_legal_step_leads_where_the_diagram_says(state: ProposalStatus, action: Action) -> None:
    assert next_status(state, action) == LEGAL[(state, action)]


@pytest.mark.parametrize(("state", "action"), [p for p in ALL_PAIRS if p not in LEGAL])
def test_any_other_step_is_refused_naming_the_current_state(
    state: ProposalStatus, action: Action
) -> None:
    with pytest.raises(IllegalTransition) as refused:
        next_status(state, action)
    assert refused.value.context == {"current_status": state}
    assert state in refused.value.detail


def test_terminal_states_lead_nowhere() -> None:
    for state in ("rejected", "closed", "withdrawn"):
        assert not [action for action in WORKFLOW if (state, action) in LEGAL]


def test_withdrawing_and_rejecting_need_a_reason_and_nothing_else_does() -> None:
    needs_reason = {action for action, step in WORKFLOW.items() if step.reason_required}
    assert needs_reason == {"reject", "withdraw"}
