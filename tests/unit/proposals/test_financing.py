"""Financing-route hints: which routes fit a proposal, by rule."""

from dataclasses import replace

import pytest

from services.proposals.financing import LARGE_PROJECT_USD, ProjectFacts, financing_hint

STUDY = ProjectFacts(
    stage="feasibility_study",
    country="VN",
    private_operator=False,
    budget_max=500_000,
    currency="USD",
    wanted=frozenset({"smart_jamp_study"}),
)
IMPLEMENTATION = replace(STUDY, stage="implementation", wanted=frozenset())


def routes(facts: ProjectFacts) -> list[str]:
    return [advice.route for advice in financing_hint(facts).fitting]


@pytest.mark.parametrize("stage", ["master_plan", "feasibility_study", "demonstration"])
def test_project_formation_fits_a_smart_jamp_study(stage: str) -> None:
    assert routes(replace(STUDY, stage=stage)) == ["smart_jamp_study"]


def test_an_implementation_with_a_private_operator_fits_join_and_private_investment() -> None:
    assert routes(replace(IMPLEMENTATION, private_operator=True)) == [
        "join_investment",
        "private_investment",
    ]


def test_a_large_public_implementation_fits_jbic_and_oda() -> None:
    large = replace(IMPLEMENTATION, budget_max=LARGE_PROJECT_USD)
    assert routes(large) == ["jbic_loan", "oda"]


def test_size_is_judged_in_dollars_whatever_the_currency() -> None:
    in_dong = replace(IMPLEMENTATION, budget_max=2_000_000_000_000, currency="VND")  # ~USD 78m
    in_baht = replace(IMPLEMENTATION, budget_max=100_000_000, currency="THB")  # ~USD 2.8m
    assert "jbic_loan" in routes(in_dong)
    assert routes(in_baht) == ["own_budget"]


def test_a_large_private_implementation_fits_jbic_but_not_oda() -> None:
    large_private = replace(IMPLEMENTATION, budget_max=1e9, private_operator=True)
    assert routes(large_private) == ["join_investment", "private_investment", "jbic_loan"]


def test_singapore_and_brunei_are_not_offered_oda() -> None:
    for country in ("SG", "BN"):
        facts = replace(IMPLEMENTATION, country=country, budget_max=1e9, wanted=frozenset({"oda"}))
        hint = financing_hint(facts)
        assert routes(facts) == ["jbic_loan"]
        [unlikely] = hint.unlikely
        assert unlikely.route == "oda" and "high-income" in unlikely.reason


def test_routes_asked_for_that_do_not_fit_are_named_with_a_reason() -> None:
    hint = financing_hint(replace(STUDY, wanted=frozenset({"jbic_loan", "smart_jamp_study"})))
    assert [advice.route for advice in hint.unlikely] == ["jbic_loan"]
    assert "study" in hint.unlikely[0].reason
    assert hint.summary == "Fits: smart_jamp_study. Unlikely: jbic_loan."


def test_every_fitting_route_carries_its_reason() -> None:
    for facts in (STUDY, IMPLEMENTATION, replace(IMPLEMENTATION, private_operator=True)):
        assert all(advice.reason for advice in financing_hint(facts).fitting)
