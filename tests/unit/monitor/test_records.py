"""How the monitor reads any record: envelope attributes, keys, references, masking."""

from datetime import UTC, datetime

import orjson

from services.monitor.events.model import (
    RawRecord,
    index_entry,
    referenced_ids,
    unreadable_entry,
)
from services.monitor.events.storable import MAX_DEPTH, unstorable
from services.monitor.letters.model import dead_letter_of
from services.monitor.masking import mask_personal_data
from shared.contracts.companies import CompanyVerified
from shared.envelope import Envelope


def record(value: bytes | None, topic: str = "jamp.companies.v1", **headers: str) -> RawRecord:
    encoded = [(name, text.encode()) for name, text in headers.items()]
    return RawRecord(topic=topic, partition=1, offset=5, timestamp_ms=0, key=b"k", value=value,
                     headers=encoded)  # fmt: skip


def written_at(timestamp_ms: int, value: bytes) -> RawRecord:
    return record(value).model_copy(update={"timestamp_ms": timestamp_ms})


def verified(company_id: str = "c1") -> Envelope:
    payload = CompanyVerified(company_id=company_id, version=2, by="admin")
    return Envelope.wrap(payload, source="companies", subject=company_id)


def test_an_envelope_is_indexed_by_its_attributes() -> None:
    envelope = verified()
    event = index_entry(record(envelope.to_bytes()))
    assert event.id.startswith(f"jamp.companies.v1:{envelope.id}:")
    assert (event.type, event.subject) == (envelope.type, "c1")
    assert event.correlation_id == envelope.correlationid and event.envelope_error is None
    assert event.refs == ["c1"] and not event.dead_letter


class TestKeys:
    """Offsets restart from 0 when a broker comes back empty: they name no record."""

    def test_two_events_at_the_same_place_are_two_entries(self) -> None:
        first, second = (index_entry(record(verified().to_bytes())) for _ in range(2))
        assert (first.partition, first.offset) == (second.partition, second.offset)
        assert first.id != second.id

    def test_two_raw_records_at_the_same_place_are_two_entries(self) -> None:
        before = index_entry(written_at(1_000, b"junk"))
        after_restart = index_entry(written_at(2_000, b"junk"))
        assert before.id.startswith("jamp.companies.v1:1:5:") and before.id != after_restart.id

    def test_the_same_record_read_again_is_the_same_entry(self) -> None:
        value = verified().to_bytes()
        assert index_entry(record(value)).id == index_entry(record(value)).id
        assert index_entry(written_at(9, b"x")).id == index_entry(written_at(9, b"x")).id

    def test_each_failure_of_one_event_is_a_dead_letter_of_its_own(self) -> None:
        value = verified().to_bytes()
        dlq = "jamp.companies.v1.dlq"
        failures = [
            index_entry(record(value, dlq, **{"dlq.consumer_group": group, "dlq.failed_at": at}))
            for group, at in [("matching", "t1"), ("inquiries", "t1"), ("matching", "t2")]
        ]
        original = index_entry(record(value))
        assert len({original.id, *(failure.id for failure in failures)}) == 4

    def test_an_id_that_cannot_be_part_of_a_key_is_keyed_as_raw(self) -> None:
        envelope = verified().model_copy(update={"id": "a/b?c"})
        event = index_entry(record(envelope.to_bytes()))
        assert event.event_id == "a/b?c" and event.id.startswith("jamp.companies.v1:1:5:")


def test_a_record_that_is_no_envelope_keeps_its_reason() -> None:
    assert index_entry(record(b"[1]")).envelope_error == "not a JSON object"
    assert index_entry(record(b"\xff")).raw == "\ufffd"
    assert index_entry(record(b'{"type": "x"}')).envelope_error is not None


def test_references_are_every_id_field_at_any_depth() -> None:
    data = {"match_id": "m", "pair": [{"company_id": "c", "proposal_id": "p"}], "id": "no"}
    assert referenced_ids(data) == {"m", "c", "p"}


def test_masking_hides_contacts_emails_and_phones_only() -> None:
    data = {"company": {"name_en": "Kaiyo", "contact": {"name": "Sato", "email": "s@x.jp"}},
            "replies": [{"email": "a@b.c", "phone": "+81", "body": "hi"}]}  # fmt: skip
    assert mask_personal_data(data) == {
        "company": {"name_en": "Kaiyo", "contact": {"name": "***", "email": "***"}},
        "replies": [{"email": "***", "phone": "***", "body": "hi"}],
    }


def test_a_dead_letter_reads_its_failure_from_the_dlq_headers() -> None:
    event = index_entry(record(b"{}", "jamp.companies.v1.dlq", **{
        "ce_id": "e1", "dlq.error": "ValueError: x", "dlq.original_topic": "jamp.companies.v1",
        "dlq.original_partition": "2", "dlq.original_offset": "9", "dlq.consumer_group": "g",
    }))  # fmt: skip
    letter = dead_letter_of(event)
    assert (letter.original_topic, letter.original_partition, letter.original_offset) == (
        "jamp.companies.v1", 2, 9
    )  # fmt: skip
    assert letter.error == "ValueError: x" and letter.headers == {"ce_id": "e1"}


class TestWhatTheIndexCannotHold:
    """A record is indexed as far as the index can hold it; none stops the tail."""

    def test_json_nested_too_deep_is_kept_as_text_with_its_envelope_attributes(self) -> None:
        value = b'{"id": "e1", "type": "t", "data": ' + b'{"a": ' * 600 + b"1" + b"}" * 601
        event = index_entry(record(value))
        assert event.envelope_error == "kept as text: nested deeper than 64 levels"
        assert (event.event_id, event.type, event.data) == ("e1", "t", None)
        assert event.raw == value.decode() and event.search_terms()

    def test_a_nul_in_a_field_name_or_a_number_past_64_bits_is_kept_as_text(self) -> None:
        nul = index_entry(record(b'{"data": {"a\\u0000": 1}}'))
        assert nul.envelope_error == "kept as text: a field name contains a NUL character"
        huge = index_entry(record(b'{"data": [18446744073709551615]}'))
        assert huge.envelope_error == "kept as text: a number does not fit in 64 bits"
        fits = index_entry(record(b'{"data": [-9223372036854775808, 9223372036854775807]}'))
        assert fits.data == [-(2**63), 2**63 - 1]

    def test_as_deep_as_the_limit_is_indexed_as_read(self) -> None:
        deepest = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
        assert unstorable(orjson.loads(deepest), deepest) is None
        too_deep = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)
        assert unstorable(orjson.loads(too_deep), too_deep) is not None
        many = b"[" + b"[]," * 100 + b'"[{", "12345678901234567890"]'  # walked, all fine
        assert unstorable(orjson.loads(many), many) is None

    def test_a_timestamp_past_what_a_datetime_holds_is_the_nearest_one_it_does(self) -> None:
        assert index_entry(written_at(2**62, b"x")).timestamp == datetime(
            9999, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC
        )
        assert index_entry(written_at(-(2**62), b"x")).timestamp.year == 1
        assert index_entry(written_at(-1, b"x")).timestamp == datetime(
            1969, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC
        )

    def test_a_header_name_with_a_nul_and_a_header_without_a_value_are_shown(self) -> None:
        raw = record(b"{}").model_copy(update={"headers": [("a\x00b", b"1"), ("c", None)]})
        assert index_entry(raw).headers == {"a\ufffdb": "1", "c": ""}

    def test_the_least_entry_is_the_place_the_time_and_why(self) -> None:
        event = unreadable_entry(record(b"{}", "jamp.companies.v1.dlq"), "could not be stored")
        assert (event.topic, event.partition, event.offset) == ("jamp.companies.v1.dlq", 1, 5)
        assert (event.key, event.headers, event.data, event.raw) == (None, {}, None, None)
        assert event.envelope_error == "could not be stored" and event.dead_letter


def test_dlq_origin_headers_are_read_as_ascii_numbers_or_not_at_all() -> None:
    def origin(partition: str, offset: str) -> tuple[int | None, int | None]:
        headers = {"dlq.original_partition": partition, "dlq.original_offset": offset}
        letter = dead_letter_of(index_entry(record(b"{}", "jamp.companies.v1.dlq", **headers)))
        return letter.original_partition, letter.original_offset

    assert origin("2", "-1") == (2, -1)
    assert origin("²", "--5") == (None, None)
    assert origin("٣", "1 ") == (None, None)  # an Arabic-Indic digit; a trailing space
    assert origin("1" * 19, "9" * 5000) == (None, None)  # past 64 bits; past int()'s limit
