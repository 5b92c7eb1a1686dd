"""The event search's filter: free text is a lookup of indexed terms, never a scan."""

from datetime import UTC, datetime

from services.companies.model import EXAMPLE_REGISTRATION, Company, RegisterCompany
from services.monitor.events.model import EventQuery, IndexedEvent, RawRecord, index_entry
from services.monitor.events.repository import search_criteria
from shared.auth import Role
from shared.contracts.companies import CompanyRegistered
from shared.contracts.identity import ApiKeyIssued
from shared.envelope import Envelope
from shared.text import query_terms


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


def test_an_empty_filter_is_a_value_like_any_other() -> None:
    # As every list of the desk reads it: "?topic=" is the topic "", which no event has.
    assert search_criteria(EventQuery(topic=""), after=None) == {"topic": ""}


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


def _registered(**changes: object) -> IndexedEvent:
    fields = {
        name: value for name, value in EXAMPLE_REGISTRATION.items() if name != "corporate_number"
    }
    command = RegisterCompany.model_validate({**fields, **changes})
    company = Company.register("c-monitored", command)
    value = Envelope.wrap(CompanyRegistered(company=company.profile()), source="companies",
                          subject=company.company_id).to_bytes()  # fmt: skip
    return index_entry(RawRecord(topic="jamp.companies.v1", partition=0, offset=0,
                                 timestamp_ms=0, key=None, value=value))  # fmt: skip


def test_an_event_is_found_by_what_names_things_and_not_by_its_prose() -> None:
    reference = {"title": "Riverbank pumping", "country": "VN", "description": "Quietest pumps"}
    event = _registered(capability_statement="Zephyrine turbines for harbour districts.",
                        references=[reference])  # fmt: skip
    found_by = set(event.search_terms())
    assert {"kaiyo", "water", "supply", "riverbank", "c", "monitored", "registered"} <= found_by
    assert not {"zephyrine", "turbines", "harbour", "quietest", "pumps"} & found_by
    assert "Zephyrine turbines for harbour districts." in event.model_dump_json()  # still shown


def test_japanese_is_found_by_two_characters_in_a_row_not_by_one_of_a_longer_run() -> None:
    event = _registered(name_ja="海洋水道株式会社", references=[
        {"title": "水 浄化", "country": "VN"}])  # fmt: skip
    found_by = set(event.search_terms())
    assert query_terms("海洋水道") <= found_by and query_terms("株式会社") <= found_by
    assert query_terms("水") <= found_by  # a character standing alone is its own term
    assert not {"海", "株", "会"} & found_by
