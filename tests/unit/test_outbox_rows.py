"""An outbox row's headers, packed into one field, come back as the producer needs them."""

import bson
from bson import Binary

from shared.outbox import pack_headers, row_headers

HEADERS = [("ce_id", b"1"), ("traceparent", b"00-ab"), ("ce_id", b"")]


def test_packed_headers_keep_their_order_repeated_names_and_empty_values() -> None:
    stored = bson.decode(bson.encode({"headers": pack_headers(HEADERS)}))  # as read back
    assert row_headers(stored) == HEADERS


def test_headers_of_a_row_written_before_packing_are_read_as_they_are() -> None:
    older = {"headers": [[name, Binary(value)] for name, value in HEADERS]}
    assert row_headers(bson.decode(bson.encode(older))) == HEADERS
    assert row_headers({"headers": []}) == []
