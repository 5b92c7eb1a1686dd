"""The event search's filter: free text is a lookup of indexed terms, never a scan."""

from services.monitor.events.model import EventQuery
from services.monitor.events.repository import search_criteria


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
