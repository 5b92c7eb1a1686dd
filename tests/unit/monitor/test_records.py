"""How the monitor reads any record: envelope attributes, references, masking, dry runs."""

from services.monitor.letters import dead_letter_of, dry_run
from services.monitor.model import RawRecord, index_entry, mask_personal_data, referenced_ids
from shared.contracts.companies import CompanyVerified
from shared.envelope import Envelope


def record(value: bytes | None, topic: str = "jamp.companies.v1", **headers: str) -> RawRecord:
    encoded = [(name, text.encode()) for name, text in headers.items()]
    return RawRecord(topic=topic, partition=1, offset=5, timestamp_ms=0, key=b"k", value=value,
                     headers=encoded)  # fmt: skip


def test_an_envelope_is_indexed_by_its_attributes() -> None:
    envelope = Envelope.wrap(
        CompanyVerified(company_id="c1", version=2, by="admin"), source="companies", subject="c1"
    )
    event = index_entry(record(envelope.to_bytes()))
    assert (event.id, event.type, event.subject) == ("jamp.companies.v1:1:5", envelope.type, "c1")
    assert event.correlation_id == envelope.correlationid and event.envelope_error is None
    assert event.refs == ["c1"] and not event.dead_letter


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


def test_a_dry_run_names_what_the_current_schema_rejects() -> None:
    valid = Envelope.wrap(
        CompanyVerified(company_id="c", version=1, by="a"), source="s", subject="c"
    )
    unknown = valid.model_copy(update={"type": "jamp.nothing.v9"})
    broken = valid.model_copy(update={"data": {"company_id": "c"}})
    assert dry_run(valid.to_bytes()).valid
    assert dry_run(unknown.to_bytes()).problems == ["no contract for type 'jamp.nothing.v9'"]
    assert dry_run(broken.to_bytes()).problems == [
        "data.version: Field required", "data.by: Field required"
    ]  # fmt: skip
    assert not dry_run(b"nope").valid
