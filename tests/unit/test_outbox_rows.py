"""An outbox row's records (several events of a transaction packed into one row, headers
packed into one field) come back as the producer needs them."""

from typing import Any

import bson
from bson import Binary

from shared.contracts.companies import CompanyVerified
from shared.envelope import Envelope
from shared.outbox import PACKED_MOST, Record, outbox_rows, pack_headers, row_headers, row_records

HEADERS = [("ce_id", b"1"), ("traceparent", b"00-ab"), ("ce_id", b"")]


def test_packed_headers_keep_their_order_repeated_names_and_empty_values() -> None:
    stored = bson.decode(bson.encode({"headers": pack_headers(HEADERS)}))  # as read back
    assert row_headers(stored) == HEADERS


def test_headers_of_a_row_written_before_packing_are_read_as_they_are() -> None:
    older = {"headers": [[name, Binary(value)] for name, value in HEADERS]}
    assert row_headers(bson.decode(bson.encode(older))) == HEADERS
    assert row_headers({"headers": []}) == []


def events(*subjects: str) -> list[tuple[str, Envelope]]:
    return [(f"topic-{subject}", Envelope.wrap(CompanyVerified(company_id=subject, version=2,
             by="admin"), source="test", subject=subject)) for subject in subjects]  # fmt: skip


def as_read(row: dict[str, Any]) -> dict[str, Any]:
    return bson.decode(bson.encode(row))


def test_a_transactions_events_share_one_row_and_come_back_in_their_order() -> None:
    written = events("a", "b", "a", "c")
    [row] = outbox_rows(written)
    assert row["event_id"] == written[0][1].id  # named by its first event
    assert row["created_at"] == written[0][1].time
    expected = [Record(topic, envelope.subject, envelope.to_bytes(), envelope.kafka_headers())
                for topic, envelope in written]  # fmt: skip
    assert row_records(as_read(row)) == expected


def test_a_lone_event_keeps_a_row_of_its_own_fields() -> None:
    [(topic, envelope)] = written = events("a")
    [row] = outbox_rows(written)
    assert (row["topic"], row["key"], row["event_type"]) == (topic, "a", envelope.type)
    assert row_records(as_read(row)) == [Record(topic, "a", envelope.to_bytes(),
                                                envelope.kafka_headers())]  # fmt: skip


def test_a_huge_transaction_is_split_into_rows_of_at_most_the_packed_limit() -> None:
    written = events(*(f"s{index}" for index in range(PACKED_MOST * 2 + 1)))
    rows = outbox_rows(written)
    assert [len(row_records(as_read(row))) for row in rows] == [PACKED_MOST, PACKED_MOST, 1]
    keys = [record.key for row in rows for record in row_records(as_read(row))]
    assert keys == [envelope.subject for _, envelope in written]


def test_rows_of_an_older_version_are_read_as_one_record() -> None:
    older = {"topic": "t", "key": "k", "value": Binary(b"v"),
             "headers": [[name, Binary(value)] for name, value in HEADERS]}  # fmt: skip
    assert row_records(as_read(older)) == [Record("t", "k", b"v", HEADERS)]
