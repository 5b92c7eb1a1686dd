"""The CloudEvents envelope around every event, and its Kafka record form."""

import re
from datetime import UTC, datetime

import orjson
import pytest
from pydantic import ValidationError

from shared.contracts.companies import CompanyVerified
from shared.contracts.identity import ApiKeyIssued
from shared.envelope import Envelope, UnknownEventType

TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def verified() -> CompanyVerified:
    return CompanyVerified(company_id="c-1", version=2, by="admin")


def wrapped(**options: str) -> Envelope:
    return Envelope.wrap(verified(), source="/jamp/companies", subject="c-1", **options)


class TestWrapping:
    def test_the_envelope_carries_the_cloudevents_attributes(self) -> None:
        envelope = wrapped()
        assert envelope.specversion == "1.0"
        assert envelope.type == "jamp.company.verified.v1"
        assert (envelope.source, envelope.subject) == ("/jamp/companies", "c-1")
        assert envelope.datacontenttype == "application/json"
        assert envelope.time.tzinfo is not None
        assert envelope.data == {
            "company_id": "c-1",
            "version": 2,
            "by": "admin",
            "by_person": None,
        }

    def test_every_event_gets_its_own_id(self) -> None:
        assert wrapped().id != wrapped().id

    def test_a_new_correlation_starts_at_the_event_itself(self) -> None:
        envelope = wrapped()
        assert envelope.correlationid == envelope.id

    def test_a_given_correlation_id_is_kept(self) -> None:
        assert wrapped(correlation_id="req-42").correlationid == "req-42"

    @pytest.mark.parametrize(
        "unsafe", ["c" * 8000, "c" * 65, "two words", "a\nb", "<x>"], ids=lambda v: v[:12]
    )
    def test_a_long_or_unsafe_correlation_id_starts_a_new_correlation(self, unsafe: str) -> None:
        envelope = wrapped(correlation_id=unsafe)
        assert envelope.correlationid == envelope.id

    def test_the_traceparent_is_w3c_and_starts_a_trace_when_there_is_no_parent(self) -> None:
        assert TRACEPARENT.match(wrapped().traceparent)

    def test_the_traceparent_continues_the_parent_trace_in_a_new_span(self) -> None:
        traceparent = wrapped(traceparent=PARENT).traceparent
        assert TRACEPARENT.match(traceparent)
        assert traceparent.split("-")[1] == PARENT.split("-")[1]
        assert traceparent.split("-")[2] != PARENT.split("-")[2]

    def test_the_type_comes_from_the_payloads_contract(self) -> None:
        issued = ApiKeyIssued(
            key_id="0123456789abcdef",
            key_hash="h",
            role="admin",
            scope=None,
            label="ops",
            issued_at=datetime(2025, 1, 2, tzinfo=UTC),
        )
        envelope = Envelope.wrap(issued, source="/jamp/identity", subject="0123456789abcdef")
        assert envelope.type == "jamp.apikey.issued.v1"
        assert envelope.data["issued_at"] == "2025-01-02T00:00:00Z"


class TestRecordForm:
    def test_bytes_round_trip_to_an_equal_envelope(self) -> None:
        envelope = wrapped(correlation_id="req-42", traceparent=PARENT)
        assert Envelope.from_bytes(envelope.to_bytes()) == envelope

    def test_the_value_is_the_structured_cloudevent(self) -> None:
        document = orjson.loads(wrapped().to_bytes())
        assert document["specversion"] == "1.0"
        assert document["data"]["company_id"] == "c-1"

    def test_the_headers_repeat_the_identifying_attributes(self) -> None:
        envelope = wrapped(correlation_id="req-42")
        headers = dict(envelope.kafka_headers())
        assert headers["ce_id"] == envelope.id.encode()
        assert headers["ce_type"] == b"jamp.company.verified.v1"
        assert headers["ce_source"] == b"/jamp/companies"
        assert headers["ce_subject"] == b"c-1"
        assert headers["ce_specversion"] == b"1.0"
        assert datetime.fromisoformat(headers["ce_time"].decode()) == envelope.time
        assert headers["correlationid"] == b"req-42"
        assert headers["traceparent"] == envelope.traceparent.encode()

    def test_every_header_value_is_bytes(self) -> None:
        assert all(isinstance(value, bytes) for _, value in wrapped().kafka_headers())

    @pytest.mark.parametrize("raw", [None, b"", b"not json", b"{}"])
    def test_a_value_that_is_no_envelope_is_refused(self, raw: bytes | None) -> None:
        with pytest.raises((ValueError, ValidationError)):
            Envelope.from_bytes(raw)


class TestPayload:
    def test_the_payload_is_the_typed_contract_model(self) -> None:
        payload = Envelope.from_bytes(wrapped().to_bytes()).payload()
        assert isinstance(payload, CompanyVerified)
        assert payload == verified()

    def test_an_unknown_type_is_refused(self) -> None:
        envelope = wrapped().model_copy(update={"type": "jamp.company.teleported.v1"})
        with pytest.raises(UnknownEventType, match="teleported"):
            envelope.payload()

    def test_unknown_fields_in_the_data_are_ignored(self) -> None:
        document = orjson.loads(wrapped().to_bytes())
        document["data"]["added_in_v2"] = {"anything": True}
        document["extension_attribute"] = "x"
        payload = Envelope.from_bytes(orjson.dumps(document)).payload()
        assert payload == verified()

    def test_data_missing_a_required_field_fails_validation(self) -> None:
        envelope = wrapped().model_copy(update={"data": {"company_id": "c-1"}})
        with pytest.raises(ValidationError):
            envelope.payload()
