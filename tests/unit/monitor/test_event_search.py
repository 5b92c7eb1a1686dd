"""The event search's filter: free text is a lookup of indexed terms, never a scan."""

from datetime import UTC, datetime

from services.monitor.events.model import EventQuery, RawRecord, index_entry
from services.monitor.events.repository import search_criteria
from shared.auth import Role
from shared.contracts.identity import ApiKeyIssued
from shared.envelope import Envelope


def test_free_text_looks_up_every_word_in_the_terms_array() -> None:
    criteria = search_criteria(EventQuery(q="Kaiyo WATER supply"), after=None)
    assert criteria == {"terms": {"$all": ["kaiyo", "supply", "water"]}}


def test_filters_and_the_cursor_combine_with_the_words() -> None:
    query = EventQuery(q="Đà Nẵng", topic="jamp.proposals.v1", type="jamp.proposal.drafted.v1")
    assert search_criteria(query, after="0042") == {
        "topic": "jamp.proposals.v1",
        "type": "jamp.proposal.drafted.v1",
        "terms": {"$all": ["da", "nang"]},
        "seq": {"$lt": "0042"},
    }


def test_text_of_stop_words_only_filters_nothing() -> None:
    assert search_criteria(EventQuery(q="the of"), after=None) == {}


def test_the_times_in_a_payload_are_no_search_terms() -> None:
    issued_at = datetime(2026, 11, 29, 12, 50, 6, 762703, tzinfo=UTC)
    payload = ApiKeyIssued(key_id="k1", key_hash="0" * 64, role=Role.COMPANY, scope="c1",
                           label="company Kaiyo Water 2022", issued_at=issued_at)  # fmt: skip
    value = Envelope.wrap(payload, source="companies", subject="c1").to_bytes()
    event = index_entry(RawRecord(topic="jamp.identity.v1", partition=0, offset=0,
                                  timestamp_ms=0, key=None, value=value))  # fmt: skip
    found_by = set(event.search_terms())
    assert {"kaiyo", "water", "2022", "issued"} <= found_by
    assert "2026-11-29T12:50:06.762703Z" in event.model_dump_json()
    assert not {"2026", "11", "29t12", "50", "06", "762703z"} & found_by
