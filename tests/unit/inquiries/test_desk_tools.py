"""Pure rules of the desk's tools: template placeholders, tag names, the built-in views."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from services.inquiries.answers.model import AnswerTemplateSpec
from services.inquiries.answers.placeholders import filled, unknown_placeholders
from services.inquiries.saved_views.model import end_of_day
from services.inquiries.tags.model import DeskTags
from services.inquiries.tags.names import TagChange


def test_placeholders_are_filled_and_braces_escaped() -> None:
    values = {"requester_name": "Da Nang", "subject": "Flood", "officer": "Sato", "deadline": "x"}
    text = "Dear {requester_name}, {officer} on {subject} {{by}} {deadline}"
    assert filled(text, values) == "Dear Da Nang, Sato on Flood {by} x"


def test_an_unknown_placeholder_is_named_and_attribute_access_is_not_a_placeholder() -> None:
    text = "{requester_name} {0.__class__} {subject.__init__} {officer} {cost}"
    assert unknown_placeholders(text) == ["0.__class__", "subject.__init__", "cost"]
    with pytest.raises(ValidationError) as refused:
        AnswerTemplateSpec(name="t", country="VN", texts={"en": "Hello {requester}"})
    error = refused.value.errors()[0]
    assert error["loc"] == ("texts", "en")
    assert "{requester}" in error["msg"]


def test_a_filled_value_is_not_filled_again() -> None:
    values = {"requester_name": "{subject}", "subject": "S", "officer": "", "deadline": ""}
    assert filled("{requester_name}", values) == "{subject}"


def test_tag_names_are_normalised_and_duplicates_after_it_refused() -> None:
    full_width_jbic = "\uff2a\uff22\uff29\uff23"
    change = TagChange(add=["Flood Control", f"{full_width_jbic}_loan"])
    assert change.add == ["flood-control", "jbic-loan"]
    with pytest.raises(ValidationError, match="listed twice"):
        DeskTags(tags=[{"name": "Flood control"}, {"name": "flood-control"}])
    with pytest.raises(ValidationError):
        TagChange(add=["a/b"])
    with pytest.raises(ValidationError, match="both added and removed"):
        TagChange(add=["x"], remove=["X"])


def test_the_day_ends_at_the_next_local_midnight() -> None:
    now = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)  # 01:30 on 3 March in Hanoi
    ends = end_of_day(now, ZoneInfo("Asia/Ho_Chi_Minh"))
    assert ends == datetime(2026, 3, 3, 17, 0, tzinfo=UTC)
