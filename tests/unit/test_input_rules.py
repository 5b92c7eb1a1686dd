"""Rules for every caller-supplied value: no NUL in text, no operator or path field names."""

from typing import Any

import pytest

from shared.http.input_rules import check_json, check_texts
from shared.http.problems import InvalidInput


def refused_fields(value: Any) -> list[str]:
    with pytest.raises(InvalidInput) as refused:
        check_json(value, "body")
    return [error["field"] for error in refused.value.extensions["errors"]]


class TestJsonBodies:
    def test_field_names_beginning_with_a_dollar_or_holding_a_dot_are_refused(self) -> None:
        body = {"availability": {"$where": [0], "company:1": [0]}, "max": {"a.b": 1}}
        assert refused_fields(body) == ["body.availability.$where", "body.max.a.b"]

    def test_a_nul_anywhere_in_text_is_refused(self) -> None:
        body = {"subject": "ok\x00", "tags": ["fine", "bad\x00"], "nested": {"k\x00": 1}}
        assert refused_fields(body) == ["body.subject", "body.nested.k\x00", "body.tags.1"]

    def test_ordinary_bodies_pass(self) -> None:
        check_json({"name": "Kaiyo", "tags": ["a-b", "c_d"], "n": 1.5, "x": None}, "body")
        check_json({"availability": {"company:64f0c0ffee": [0], "city:da-nang": [1]}}, "body")

    def test_deep_nesting_is_walked_without_exhausting_the_stack(self) -> None:
        body: Any = "\x00"
        for _ in range(5000):
            body = [body]
        assert len(refused_fields(body)) == 1


class TestParameters:
    def test_a_nul_in_a_parameter_name_or_value_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            check_texts([("q", "wat\x00er"), ("ok", "fine"), ("x\x00", "1")], "query")
        fields = [error["field"] for error in refused.value.extensions["errors"]]
        assert fields == ["query.q", "query.x\x00"]

    def test_ordinary_parameters_pass(self) -> None:
        check_texts([("q", "water supply"), ("tag", "ü-ß")], "query")
