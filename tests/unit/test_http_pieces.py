"""HTTP building blocks: opaque cursors, ETags and If-Match, the public rate limit."""

import base64

import orjson
import pytest
from aiohttp.test_utils import make_mocked_request
from aiohttp.web import Request

from shared.http.conditional import etag, expected_version
from shared.http.pagination import decode_cursor, encode_cursor
from shared.http.problems import InvalidInput, PreconditionRequired


def cursor_of(document: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(document)).decode()


def patch_request(**headers: str) -> Request:
    return make_mocked_request("PATCH", "/companies/c-1", headers=headers)


def invalid_fields(problem: InvalidInput) -> list[str]:
    return [error["field"] for error in problem.extensions["errors"]]


class TestCursors:
    @pytest.mark.parametrize("last_id", ["01J9ZK3QX", "", "ü-ß/+=", "a" * 200])
    def test_a_cursor_decodes_to_the_id_it_was_made_from(self, last_id: str) -> None:
        assert decode_cursor(encode_cursor(last_id)) == last_id

    def test_a_cursor_is_url_safe_and_unpadded(self) -> None:
        cursor = encode_cursor("ü-ß/+=?")
        assert cursor.replace("-", "").replace("_", "").isalnum()

    def test_no_cursor_means_the_first_page(self) -> None:
        assert decode_cursor(None) is None

    @pytest.mark.parametrize(
        "cursor",
        [
            "",
            "!!!",
            "not a cursor",
            "é",
            encode_cursor("01J9ZK3QX")[:-3],
            cursor_of(["after", "x"]),
            cursor_of({"before": "x"}),
            cursor_of({"after": 5}),
            cursor_of({"after": None}),
            cursor_of("after"),
            base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        ],
    )
    def test_a_tampered_cursor_is_invalid_input_naming_the_query_cursor(self, cursor: str) -> None:
        with pytest.raises(InvalidInput) as refused:
            decode_cursor(cursor)
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

    def test_if_match_wins_over_the_body_version(self) -> None:
        assert expected_version(patch_request(**{"If-Match": '"3"'}), 7) == 3

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
