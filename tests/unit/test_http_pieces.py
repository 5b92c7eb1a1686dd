"""HTTP building blocks: opaque cursors checked in one place, ETags and If-Match, the public
rate limit, and the problem a client gets for invalid input."""

import base64
from typing import Any

import orjson
import pytest
from aiohttp.http_exceptions import BadHttpMessage, InvalidURLError
from aiohttp.test_utils import make_mocked_request
from aiohttp.web import Request
from pydantic import BaseModel, ValidationError

from shared.http.conditional import etag, expected_version
from shared.http.endpoints import parse_query
from shared.http.pagination import OFFSET, SLUG, PageQuery, encode_cursor, window
from shared.http.problems import (
    SUMMARISED_ERRORS,
    InvalidInput,
    InvalidReference,
    PreconditionRequired,
    problem_title,
)
from shared.http.server import ECHOED_CHARACTERS, parser_detail


def cursor_of(document: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(document)).decode()


def patch_request(**headers: str) -> Request:
    return make_mocked_request("PATCH", "/companies/c-1", headers=headers)


def invalid_fields(problem: InvalidInput) -> list[str]:
    return [error["field"] for error in problem.extensions["errors"]]


class OffsetQuery(PageQuery):
    position = OFFSET


class SlugQuery(PageQuery):
    position = SLUG


ID = "6b0b676d6dcfcad014fd26c2"
TAMPERED = [
    "!!!",
    "not a cursor",
    "é",
    encode_cursor(ID)[:-3],
    cursor_of(["after", ID]),
    cursor_of({"before": ID}),
    cursor_of({"after": ID, "and": "more"}),
    cursor_of({"after": 5}),
    cursor_of({"after": None}),
    cursor_of("after"),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "A" * 201,
]


def refusal(model: type[PageQuery], cursor: str) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate({"cursor": cursor})
    return [(error["loc"], error["type"]) for error in refused.value.errors()]


class TestCursors:
    @pytest.mark.parametrize("position", [ID, "000000000000000000000000"])
    def test_a_cursor_decodes_to_the_position_it_was_made_from(self, position: str) -> None:
        assert PageQuery(cursor=encode_cursor(position)).after == position

    def test_a_cursor_is_url_safe_and_unpadded(self) -> None:
        cursor = encode_cursor("ü-ß/+=?")
        assert cursor.replace("-", "").replace("_", "").isalnum()

    def test_no_cursor_means_the_first_page(self) -> None:
        assert PageQuery().after is None
        assert window(["a", "b", "c"], OffsetQuery(limit=2)).items == ["a", "b"]

    @pytest.mark.parametrize("cursor", TAMPERED)
    @pytest.mark.parametrize("model", [PageQuery, OffsetQuery, SlugQuery])
    def test_a_tampered_cursor_is_refused_as_the_cursor_by_every_list(
        self, model: type[PageQuery], cursor: str
    ) -> None:
        [(location, _kind)] = refusal(model, cursor)
        assert location == ("cursor",)

    @pytest.mark.parametrize(
        "position", ["abc", "-1", "-20", "1.5", "99999999999999999999", "1e3", " 1", "01", ""]
    )
    def test_an_offset_that_is_not_a_small_whole_number_is_refused(self, position: str) -> None:
        assert refusal(OffsetQuery, encode_cursor(position)) == [(("cursor",), "invalid_cursor")]

    @pytest.mark.parametrize("position", ["da-nang", "x" * 24, "6B0B676D6DCFCAD014FD26C2"])
    def test_an_id_list_refuses_a_position_that_is_no_id_of_ours(self, position: str) -> None:
        assert refusal(PageQuery, encode_cursor(position)) == [(("cursor",), "invalid_cursor")]

    @pytest.mark.parametrize("position", ["Da Nang", "da--nang", "-da", "../x"])
    def test_a_slug_list_refuses_a_position_that_is_no_slug(self, position: str) -> None:
        assert refusal(SlugQuery, encode_cursor(position)) == [(("cursor",), "invalid_cursor")]

    def test_an_offset_cursor_pages_through_a_ranked_list_without_gaps(self) -> None:
        ranked = list(range(7))
        seen: list[int] = []
        query = OffsetQuery(limit=3)
        while True:
            page = window(ranked, query)
            seen += page.items
            if page.next_cursor is None:
                break
            query = OffsetQuery(limit=3, cursor=page.next_cursor)
        assert seen == ranked

    def test_the_query_string_names_a_refused_cursor(self) -> None:
        request = make_mocked_request("GET", f"/x?cursor={encode_cursor('-1')}")
        with pytest.raises(InvalidInput) as refused:
            parse_query(request, OffsetQuery)
        assert invalid_fields(refused.value) == ["query.cursor"]
        assert refused.value.status == 422


class TestConditionalWrites:
    def test_the_etag_is_the_quoted_version(self) -> None:
        assert etag(3) == '"3"'

    @pytest.mark.parametrize("header", ['"3"', 'W/"3"', ' "3" ', "3"])
    def test_if_match_states_the_version_the_caller_read(self, header: str) -> None:
        assert expected_version(patch_request(**{"If-Match": header}), None) == 3

    def test_the_etag_the_server_sent_is_accepted_back(self) -> None:
        assert expected_version(patch_request(**{"If-Match": etag(41)}), None) == 41

    def test_if_match_star_means_any_version(self) -> None:
        assert expected_version(patch_request(**{"If-Match": "*"}), None) is None

    def test_if_match_and_a_body_version_that_agree_are_one_precondition(self) -> None:
        assert expected_version(patch_request(**{"If-Match": '"3"'}), 3) == 3

    def test_if_match_and_a_body_version_that_disagree_are_invalid_input(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            expected_version(patch_request(**{"If-Match": '"3"'}), 7)
        assert invalid_fields(refused.value) == ["body.version"]

    def test_under_if_match_star_a_body_version_still_holds(self) -> None:
        assert expected_version(patch_request(**{"If-Match": "*"}), 7) == 7

    @pytest.mark.parametrize("header", ["", "garbage", '"abc"', '"3", "4"', 'W/"-1"'])
    def test_an_unreadable_if_match_is_invalid_input_naming_the_header(self, header: str) -> None:
        with pytest.raises(InvalidInput) as refused:
            expected_version(patch_request(**{"If-Match": header}), None)
        assert invalid_fields(refused.value) == ["header.If-Match"]

    def test_without_if_match_the_body_version_is_used(self) -> None:
        assert expected_version(patch_request(), 5) == 5

    def test_a_write_with_no_version_at_all_is_refused(self) -> None:
        with pytest.raises(PreconditionRequired) as refused:
            expected_version(patch_request(), None)
        assert refused.value.status == 428


class Registration(BaseModel):
    name_en: str
    size: int


def invalid(body: object) -> InvalidInput:
    with pytest.raises(ValidationError) as refused:
        Registration.model_validate(body)
    return InvalidInput.from_validation(refused.value, "body")


class TestInvalidInputProblems:
    def test_the_detail_names_a_missing_field_and_what_is_wrong_with_another(self) -> None:
        problem = invalid({"name_en": 5})
        assert problem.detail == "body.name_en: Input should be a valid string; size is required"
        assert invalid_fields(problem) == ["body.name_en", "body.size"]

    def test_a_missing_field_alone_reads_as_before(self) -> None:
        assert invalid({"name_en": "Kaiyo"}).detail == "size is required"

    def test_an_unknown_reference_says_why_in_the_detail_not_only_in_its_errors(self) -> None:
        problem = InvalidReference("no city 'atlantis' is known", "body.city_id")
        assert problem.detail == "body.city_id: no city 'atlantis' is known"

    def test_a_body_with_many_errors_names_the_first_few_and_counts_the_rest(self) -> None:
        errors = [
            {"field": f"body.items.{index}", "message": "bad", "type": "value_error"}
            for index in range(SUMMARISED_ERRORS + 3)
        ]
        detail = InvalidInput(errors).detail
        assert detail.count("bad") == SUMMARISED_ERRORS
        assert detail.endswith("and 3 more (see errors)")


class TestParserRefusals:
    """The detail of a request aiohttp's parser refused (see shared/http/server.py)."""

    def test_llhttps_caret_is_dropped_and_its_lines_read_as_one(self) -> None:
        refused = BadHttpMessage("Invalid header token:\n\n  b'Bad Header: y'\n       ^")
        assert parser_detail(refused, refused.message) == (
            "the request could not be parsed: Invalid header token: b'Bad Header: y'"
        )

    def test_a_long_offending_line_is_quoted_only_in_part(self) -> None:
        refused = BadHttpMessage(f"Invalid header value char:\n\n  b'X-A: {'a' * 8000}\\x00'\n  ^")
        detail = parser_detail(refused, refused.message)
        quoted = detail.removeprefix("the request could not be parsed: ")
        assert len(quoted) == ECHOED_CHARACTERS and quoted.endswith("…")
        assert quoted.startswith("Invalid header value char: b'X-A: aaa")

    def test_a_url_aiohttp_names_alone_is_said_to_be_the_request_target(self) -> None:
        refused = InvalidURLError("http://[::1")
        assert parser_detail(refused, refused.message) == (
            "the request could not be parsed: invalid request target 'http://[::1'"
        )

    def test_a_refusal_without_a_message_still_says_what_kind(self) -> None:
        assert parser_detail(None, None) == "the request could not be parsed: malformed HTTP"

    @pytest.mark.parametrize(
        ("status", "title"),
        [
            (400, "Bad request"),
            (413, "Payload too large"),
            (431, "Request header fields too large"),
            (500, "Internal server error"),
            (504, "Gateway timeout"),
        ],
    )
    def test_titles_read_as_the_other_problems(self, status: int, title: str) -> None:
        assert problem_title(status) == title
