"""A proposal request's rules, before anything is stored."""

import copy
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from services.proposals.model import EXAMPLE, DraftProposal, UpdateProposal


def draft(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(EXAMPLE), **changes}


def refused_fields(body: dict[str, Any], model: type[BaseModel] = DraftProposal) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    return [".".join(str(part) for part in error["loc"]) for error in refused.value.errors()]


def test_the_documented_example_is_a_valid_draft() -> None:
    assert DraftProposal.model_validate(EXAMPLE).budget.currency == "USD"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"budget": {"min": 900, "max": 100, "currency": "USD"}}, "budget"),
        ({"budget": {"min": 0, "max": 100, "currency": "USD"}}, "budget.min"),
        ({"budget": {"min": 1, "max": 100, "currency": "XYZ"}}, "budget.currency"),
        ({"timeline": {"start": "2028-01-01", "end": "2027-01-01"}}, "timeline"),
        ({"tags": ["teleportation"]}, "tags.0"),
        ({"tags": ["flood_control", "flood_control"]}, "tags"),
        ({"focus_areas": []}, "focus_areas"),
        ({"stage": "dreaming"}, "stage"),
        ({"financing": []}, "financing"),
        ({"financing": ["lottery"]}, "financing.0"),
        ({"contact": {"name": "A", "email": "not-an-email"}}, "contact.email"),
        (
            {"contact": {"name": "A", "email": "a@hue.example", "language": "fr"}},
            "contact.language",
        ),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_input_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    assert refused_fields(draft(**changes)) == [field]


def test_a_contact_may_say_which_language_it_is_mailed_in() -> None:
    contact = {"name": "Tran Thi Mai", "email": "mai@hue.example", "language": "vi"}
    assert DraftProposal.model_validate(draft(contact=contact)).contact.language == "vi"
    assert DraftProposal.model_validate(EXAMPLE).contact.language is None


def test_an_update_keeps_what_it_leaves_out_but_refuses_null() -> None:
    update = UpdateProposal.model_validate({"stage": "demonstration", "version": 3})
    assert update.changes() == {"stage": "demonstration"}
    assert refused_fields({"title": None}, UpdateProposal) == ["title"]


def test_an_update_checks_each_part_it_sends() -> None:
    body = {"budget": {"min": 5, "max": 1, "currency": "JPY"}}
    assert refused_fields(body, UpdateProposal) == ["budget"]
