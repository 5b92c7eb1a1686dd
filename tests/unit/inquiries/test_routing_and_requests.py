"""Triage rules, and what a submission must contain."""

from typing import Any

import pytest
from pydantic import ValidationError

from services.inquiries.administration.routing import DEFAULT_RULES, RoutingRule, RoutingRules
from services.inquiries.commands import Assign, SubmitInquiry


class TestRouting:
    @pytest.mark.parametrize(
        ("category", "queue"),
        [
            ("financing", "jbic-join-liaison"),
            ("project_formation", "mlit-smart-jamp"),
            ("partner_search", "matching"),
            ("regulation_permits", "desk-vn"),
            ("market_information", "desk-vn"),
        ],
    )
    def test_the_default_rules(self, category: str, queue: str) -> None:
        assert DEFAULT_RULES.route(category, "VN")[0] == queue

    def test_the_first_matching_rule_wins_and_names_itself(self) -> None:
        rules = RoutingRules(
            rules=[
                RoutingRule(name="th loans", category="financing", country="TH", queue="bkk-fin"),
                RoutingRule(name="loans", category="financing", queue="jbic"),
            ]
        )
        assert rules.route("financing", "TH") == ("bkk-fin", "th loans")
        assert rules.route("financing", "VN") == ("jbic", "loans")
        assert rules.route("events", "TH") == ("desk-th", None)

    def test_a_rule_names_known_categories_countries_and_slug_queues(self) -> None:
        with pytest.raises(ValidationError) as error:
            RoutingRule(name="x", category="gossip", country="JP", queue="Bad Queue")
        assert {str(e["loc"][0]) for e in error.value.errors()} == {"category", "country", "queue"}


def _submission(**overrides: Any) -> dict[str, Any]:
    return {
        "requester": {"kind": "company", "company_id": "c-1"},
        "category": "events",
        "country": "VN",
        "subject": "Business matching day",
        "body": "When is the next one?",
        "language": "ja",
        **overrides,
    }


class TestSubmission:
    def test_a_minimal_submission_has_normal_priority(self) -> None:
        assert SubmitInquiry.model_validate(_submission()).priority == "normal"

    @pytest.mark.parametrize(
        "requester",
        [
            {"kind": "company"},
            {"kind": "city", "city_id": "Da Nang"},
            {"kind": "organisation", "organisation": "JETRO Hanoi"},
        ],
    )
    def test_the_requester_must_be_identified(self, requester: dict[str, Any]) -> None:
        with pytest.raises(ValidationError):
            SubmitInquiry.model_validate(_submission(requester=requester))

    @pytest.mark.parametrize(
        "overrides",
        [
            {"country": "JP"},
            {"city": "Hồ Chí Minh"},
            {"language": "vi"},
            {"priority": "asap"},
            {"focus_areas": ["health_wellbeing", "health_wellbeing"]},
        ],
    )
    def test_unknown_values_are_refused(self, overrides: dict[str, Any]) -> None:
        with pytest.raises(ValidationError):
            SubmitInquiry.model_validate(_submission(**overrides))

    def test_an_assignment_names_a_queue_or_an_officer(self) -> None:
        with pytest.raises(ValidationError):
            Assign()
        assert Assign(officer="Sato").queue is None
