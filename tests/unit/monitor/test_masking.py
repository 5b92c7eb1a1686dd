"""What operators may not read in a record (contact details), and what nobody may (a key's
hash): masked in payloads, bodies that are no JSON, headers, keys and error texts."""

from datetime import UTC, datetime

import pytest

from services.monitor.events.model import RawRecord, index_entry
from services.monitor.letters.handlers import ReplayRefused
from services.monitor.letters.model import dead_letter_of
from shared.contracts.identity import ApiKeyIssued
from shared.envelope import Envelope
from shared.masking import MASK, mask_text

CONTACT = "sato@example.co.jp"
PHONE = "+84 236 3822 123"


def record(value: bytes, topic: str = "jamp.inquiries.v1", **headers: str) -> RawRecord:
    encoded = [(name, text.encode()) for name, text in headers.items()]
    return RawRecord(topic=topic, partition=0, offset=3, timestamp_ms=0, key=CONTACT.encode(),
                     value=value, headers=encoded)  # fmt: skip


def wide(text: str) -> str:
    """The text in full-width forms, as Japanese input methods often write digits."""
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


@pytest.mark.parametrize(
    ("before", "contact", "after"),
    [
        ("write to ", CONTACT, " today"),
        ("call ", PHONE, " now"),
        ("tel. ", "090-1234-5678", "."),
        ("", "(03) 1234-5678", ""),
        ("", "0236.3822.123", ""),
        ("SG ", "+65 6123 4567", ""),
        # Right after a dot, a word of another script or TEL; Japanese forms.
        ("Tel.", "03-1234-5678", ""),
        ("電話", "03-1234-5678", "まで"),
        ("Tel.", "+81-3-1234-5678", ""),
        ("TEL", "03-1234-5678", " FAX:"),
        ("", "090 - 1234 - 5678", ""),
        ("", "03/1234/5678", ""),
        ("", "03(3581)3111", ""),
        ("US ", "+1 (555) 123-4567", ""),
        ("", "0120-123-456", ""),
        # Full-width digits and hyphens, and the dashes typed between digits.
        ("", wide("09012345678"), ""),
        (wide("Tel."), wide("03-1234-5678"), ""),
        ("", "03\uff0d1234\uff0d5678", ""),
        ("", "03\u30fc1234\u30fc5678", ""),
        ("", "03\u20131234\u20135678", ""),
    ],
)
def test_e_mail_addresses_and_phone_numbers_in_text_are_masked(
    before: str, contact: str, after: str
) -> None:
    assert mask_text(f"{before}{contact}{after}") == f"{before}{MASK}{after}"


@pytest.mark.parametrize(
    ("numbers", "masked"),
    [
        ("03-1234-5678 090-1234-5678", f"{MASK} {MASK}"),
        ("0312345678 09012345678", f"{MASK} {MASK}"),
        ("+81 3 1234 5678 090 1234 5678", f"{MASK} {MASK}"),
        ("+81 3 1234 5678 +81 90 1234 5678", f"{MASK} {MASK}"),
        ("(03) 1234-5678 (090) 1234-5678", f"{MASK} {MASK}"),
        ("03-1234-5678  0120-123-456 090-1234-5678", f"{MASK}  {MASK} {MASK}"),
        # A group starting with 0 inside a number does not start the next one.
        ("03 1234 0567 090 1234 5678", f"{MASK} {MASK}"),
        ("+84 236 3822 0123 0120 123 4567", f"{MASK} {MASK}"),
        (f"{wide('03-1234-5678')}\u3000{wide('090-1234-5678')}", f"{MASK}\u3000{MASK}"),
        # Beside a date, a count or an id's tail, which stay as written.
        ("2026-11-30 09012345678", f"2026-11-30 {MASK}"),
        ("01/02/2026 03-1234-5678", f"01/02/2026 {MASK}"),
        ("03-1234-5678 01/02/2026", f"{MASK} 01/02/2026"),
        ("INQ-0312345678 090-1234-5678", f"INQ-0312345678 {MASK}"),
    ],
)
def test_phone_numbers_one_after_another_are_each_masked(numbers: str, masked: str) -> None:
    # Joined by a space, as the groups of one number are, they read as one run of more
    # digits than any phone number has.
    assert mask_text(f"電話 {numbers} まで") == f"電話 {masked} まで"


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-28T23:41:54.123+00:00",
        "id 01234567-89ab-cdef-0123-456789abcdef",
        "offset 12345678, corporate number 7000012050002",
        "score 0.12345678",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "ext 0123",
        "due 2026-11-30, at 09:30:00",
        "01/02/2026 09:30, 01.02.2026, 30/11/26",
        "2026/01/02 03:04",
        "v1.0.0123456789 and 3.0123456789",
        "partition 0 offset 12345678",
        "INQ-0312345678, ab09876543, 0312345678-abc, hotel0312345678",
        "〒060-0001, 2026年11月30日, 1796042694484",
        wide("2026-11-30"),
        "01/02/2026 01/03/2026, 01.02.26 01.03.26 01.04.26",
    ],
)
def test_dates_ids_offsets_and_decimals_are_not_taken_for_phone_numbers(text: str) -> None:
    assert mask_text(text) == text


def test_only_the_number_is_masked_in_the_text_as_written() -> None:
    written = f"株式会社カイヨウ {wide('TEL:03-1234-5678(')}代表{wide(')')}"
    assert mask_text(written) == f"株式会社カイヨウ {wide('TEL:')}***{wide('(')}代表{wide(')')}"


@pytest.mark.parametrize(
    "phone",
    ["Tel.03-1234-5678", "電話03-1234-5678", wide("090-1234-5678"), "090 - 1234 - 5678"],
)
def test_a_masked_phone_number_leaves_no_digits_among_the_search_terms(phone: str) -> None:
    found_by = index_entry(record(f"call {phone} today".encode())).search_terms()
    assert {"call", "today"} <= set(found_by)
    assert [term for term in found_by if any(char.isdigit() for char in term)] == ["v1"]  # topic


def test_a_phone_number_written_as_a_number_is_masked_and_not_searched() -> None:
    data = {"phone": 9012345678, "contact": {"tel": 312345678, "phone": None}, "count": 3}
    envelope = Envelope.model_validate(
        {"source": "s", "type": "t", "subject": "x", "correlationid": "c", "traceparent": "t",
         "data": data}
    )  # fmt: skip
    event = index_entry(record(envelope.to_bytes()))
    assert event.masked().data == {"phone": MASK, "contact": {"tel": MASK, "phone": None},
                                   "count": 3}  # fmt: skip
    assert not {"9012345678", "312345678"} & set(event.search_terms())


# How the cost of these long runs grows with their length is `jamp bench masking`'s to
# measure (never timed here); these say what the masking writes for them.
def test_a_long_run_of_digit_groups_that_is_no_phone_stays_as_written() -> None:
    text = "01 " + "23 " * 50_000 + "45x"  # one number, no phone: skipped whole
    assert mask_text(text) == text


def test_a_long_run_of_phone_numbers_one_after_another_is_masked_number_by_number() -> None:
    text = "090 1234 5678 " * 15_000
    assert mask_text(text) == f"{MASK} " * 15_000


def test_a_body_that_is_no_json_headers_and_key_are_masked_for_operators() -> None:
    raw = f"name=Sato;email={CONTACT};phone={PHONE}".encode()
    event = index_entry(record(raw, reply_to=CONTACT, ce_type="x"))

    masked = event.masked()
    assert masked.raw == f"name=Sato;email={MASK};phone={MASK}"
    assert masked.headers == {"reply_to": MASK, "ce_type": "x"} and masked.key == MASK
    assert event.raw is not None and CONTACT in event.raw  # admins see it in full


def test_strings_anywhere_in_a_payload_are_masked() -> None:
    data = {"body": f"Please call {PHONE} or mail {CONTACT}", "count": 12345678}
    envelope = Envelope.model_validate(
        {"source": "s", "type": "t", "subject": "x", "correlationid": "c", "traceparent": "t",
         "data": data}
    )  # fmt: skip
    shown = index_entry(record(envelope.to_bytes())).masked().data
    assert shown == {"body": f"Please call {MASK} or mail {MASK}", "count": 12345678}


def test_a_dead_letter_error_text_is_masked_for_operators() -> None:
    error = f"ValueError: no such requester {CONTACT}"
    headers = {"dlq.error": error, "dlq.consumer_group": "g", "x-contact": PHONE}
    letter = dead_letter_of(index_entry(record(b"not json", "jamp.inquiries.v1.dlq", **headers)))

    masked = letter.masked()
    assert masked.error == f"ValueError: no such requester {MASK}"
    assert masked.headers == {"x-contact": MASK} and masked.key == MASK
    assert letter.error == error


def test_searching_never_finds_contact_details() -> None:
    raw = f"Kaiyo water {CONTACT} {PHONE}".encode()
    found_by = index_entry(record(raw)).search_terms()
    assert {"kaiyo", "water"} <= set(found_by)
    assert not {"sato", "example", "3822"} & set(found_by)


KEY_HASH = "f00d" * 16
SPELLED = KEY_HASH[:16]
"""Long enough that no random id or timestamp of the event can contain it by chance."""


class TestKeyHash:
    """An API key's hash is shown to nobody, admins included: it is gone before storing."""

    def issued(self) -> Envelope:
        event = ApiKeyIssued(key_id="k1", key_hash=KEY_HASH, role="admin", scope=None,
                             label="l", issued_at=datetime.now(UTC))  # fmt: skip
        return Envelope.wrap(event, source="identity", subject="k1")

    def test_an_issue_event_is_indexed_without_its_hash(self) -> None:
        event = index_entry(record(self.issued().to_bytes(), "jamp.identity.v1"))
        assert event.data["key_hash"] == MASK and event.data["key_id"] == "k1"
        assert SPELLED not in event.model_dump_json()
        assert not any(SPELLED in term for term in event.search_terms())

    def test_a_dead_letter_of_it_carries_no_hash(self) -> None:
        value = self.issued().to_bytes()
        letter = dead_letter_of(index_entry(record(value, "jamp.identity.v1.dlq")))
        assert SPELLED not in letter.model_dump_json()

    def test_a_broken_body_spelling_it_out_is_masked(self) -> None:
        raw = b'{"key_id": "k1", "key_hash": "' + KEY_HASH.encode() + b'", "role": "ad'
        event = index_entry(record(raw, "jamp.identity.v1"))
        assert event.envelope_error == "not JSON" and event.raw is not None
        assert SPELLED not in event.raw and '"key_id": "k1"' in event.raw


def test_an_address_after_a_long_run_of_word_characters_is_masked() -> None:
    # Each start of an address was once read to the run's end (`jamp bench masking`).
    text = "x" * 200_000 + " sato@example.co.jp"
    assert mask_text(text) == "x" * 200_000 + " ***"


class TestWhatTheWriterChose:
    """Whoever writes a record chooses its envelope, header names and field names too."""

    PHONE_ID = "090-1234-5678"

    def chosen(self, topic: str = "jamp.inquiries.v1") -> RawRecord:
        envelope = Envelope.model_validate(
            {"id": self.PHONE_ID, "source": CONTACT, "type": CONTACT, "subject": "x",
             "correlationid": "c", "traceparent": "t",
             "data": {"owner_id": CONTACT, CONTACT: "v"}}
        )  # fmt: skip
        headers = [*envelope.kafka_headers(), (CONTACT, b"v"), ("dlq.error_type", PHONE.encode())]
        return record(envelope.to_bytes(), topic).model_copy(update={"headers": headers})

    def test_an_events_id_type_source_references_and_names_are_masked(self) -> None:
        event = index_entry(self.chosen())
        masked = event.masked()
        assert (masked.event_id, masked.type, masked.source) == (MASK, MASK, MASK)
        assert masked.refs == [MASK] and masked.data == {"owner_id": MASK, MASK: "v"}
        assert MASK in masked.headers and CONTACT not in masked.model_dump_json()
        assert (event.event_id, event.type, event.refs) == (self.PHONE_ID, CONTACT, [CONTACT])

    def test_they_are_no_search_terms(self) -> None:
        found_by = set(index_entry(self.chosen()).search_terms())
        assert not {"sato", "example", "090", "1234", "5678"} & found_by

    def test_an_id_that_reads_as_a_phone_number_is_not_part_of_the_key(self) -> None:
        event = index_entry(self.chosen())
        assert event.id.startswith("jamp.inquiries.v1:0:3:") and "5678" not in event.id

    def test_a_dead_letters_type_id_names_and_failure_are_masked(self) -> None:
        letter = dead_letter_of(index_entry(self.chosen("jamp.inquiries.v1.dlq")))
        masked = letter.masked()
        assert (masked.event_type, masked.event_id, masked.error_type) == (MASK, MASK, MASK)
        assert CONTACT not in masked.model_dump_json() and PHONE not in masked.model_dump_json()
        assert letter.event_type == CONTACT and letter.error_type == PHONE

    def test_a_refused_replay_names_them_masked_for_operators(self) -> None:
        refused = ReplayRefused("l1", [f"no contract for type {CONTACT!r}"])
        assert (
            refused.detail
            == f"dead letter l1 may not be replayed: no contract for type {CONTACT!r}"
        )
        assert (
            refused.masked().detail
            == "dead letter l1 may not be replayed: no contract for type '***'"
        )
