"""Which financing routes fit a proposal: a short, rule-based hint. Pure: no I/O.

The rules follow how the Smart JAMP package is organised (see README "Financing hints"):
- project formation (master plan, feasibility study, demonstration) → a Smart JAMP study;
- implementation run by a private operator → JOIN equity, and private investment;
- implementation of at least USD 50 million → a JBIC loan, and for a public project in an
  ODA-eligible country a Japanese ODA loan;
- a smaller public implementation → the city's own budget.
Budgets are compared in US dollars at indicative rates; the hint is advice, never a decision.
"""

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

Currency = Literal[
    "USD", "JPY", "EUR", "BND", "KHR", "IDR", "LAK", "MYR", "MMK", "PHP", "SGD", "THB", "VND"
]
# Indicative US dollars per unit (2026); good enough to tell a USD 5 million project from
# a USD 500 million one, which is all the rules need.
USD_PER_UNIT: dict[str, float] = {
    "USD": 1.0,
    "JPY": 0.0067,
    "EUR": 1.08,
    "BND": 0.74,
    "KHR": 0.00025,
    "IDR": 0.000062,
    "LAK": 0.000046,
    "MYR": 0.22,
    "MMK": 0.00048,
    "PHP": 0.017,
    "SGD": 0.74,
    "THB": 0.028,
    "VND": 0.000039,
}
LARGE_PROJECT_USD = 50_000_000
STUDY_STAGES = frozenset({"master_plan", "feasibility_study", "demonstration"})
# High-income members of ASEAN do not receive Japanese ODA loans.
NOT_ODA_ELIGIBLE = frozenset({"SG", "BN"})


@dataclass(frozen=True)
class ProjectFacts:
    """What the rules look at."""

    stage: str
    country: str
    private_operator: bool
    budget_max: float
    currency: str
    wanted: frozenset[str]

    @property
    def budget_usd(self) -> float:
        return self.budget_max * USD_PER_UNIT[self.currency]


class RouteAdvice(BaseModel):
    route: str
    reason: str


class FinancingHint(BaseModel):
    fitting: list[RouteAdvice]
    """Routes that fit, each with the rule that says so."""
    unlikely: list[RouteAdvice]
    """Routes the city asked for that the rules do not support, and why."""
    summary: str


def fitting_routes(facts: ProjectFacts) -> list[RouteAdvice]:
    if facts.stage in STUDY_STAGES:
        return [RouteAdvice(route="smart_jamp_study", reason=_STUDY)]
    fits: list[RouteAdvice] = []
    large = facts.budget_usd >= LARGE_PROJECT_USD
    if facts.private_operator:
        fits.append(RouteAdvice(route="join_investment", reason=_JOIN))
        fits.append(RouteAdvice(route="private_investment", reason=_PRIVATE))
    if large:
        fits.append(RouteAdvice(route="jbic_loan", reason=_JBIC))
    if large and not facts.private_operator and facts.country not in NOT_ODA_ELIGIBLE:
        fits.append(RouteAdvice(route="oda", reason=_ODA))
    if not large and not facts.private_operator:
        fits.append(RouteAdvice(route="own_budget", reason=_OWN_BUDGET))
    return fits


def why_unlikely(route: str, facts: ProjectFacts) -> str:
    if route == "oda" and facts.country in NOT_ODA_ELIGIBLE:
        return "high-income ASEAN members do not receive Japanese ODA loans"
    if facts.stage in STUDY_STAGES and route != "own_budget":
        return "this route finances implementation; a study fits a Smart JAMP study"
    if route == "smart_jamp_study":
        return "Smart JAMP studies form projects; this one is at implementation"
    if route in ("jbic_loan", "oda"):
        return f"usually for projects of USD {LARGE_PROJECT_USD // 1_000_000} million or more"
    if route in ("join_investment", "private_investment"):
        return "needs a private operator to invest in (set private_operator)"
    return "no rule supports it for this stage and size"


def financing_hint(facts: ProjectFacts) -> FinancingHint:
    fitting = fitting_routes(facts)
    fit_names = {advice.route for advice in fitting}
    unlikely = [
        RouteAdvice(route=route, reason=why_unlikely(route, facts))
        for route in sorted(facts.wanted - fit_names)
    ]
    summary = "Fits: " + (", ".join(advice.route for advice in fitting) or "no route") + "."
    if unlikely:
        summary += " Unlikely: " + ", ".join(advice.route for advice in unlikely) + "."
    return FinancingHint(fitting=fitting, unlikely=unlikely, summary=summary)


_STUDY = "Smart JAMP funds project formation: master plans, feasibility studies, demonstrations"
_JOIN = "JOIN takes equity in overseas infrastructure businesses run by private operators"
_PRIVATE = "a private operator can bring its own and its partners' investment"
_JBIC = f"JBIC lends to large projects (USD {LARGE_PROJECT_USD // 1_000_000} million and up)"
_ODA = "a large public project in an ODA-eligible country fits a Japanese ODA loan"
_OWN_BUDGET = "a public project of this size is usually funded from the city's own budget"
