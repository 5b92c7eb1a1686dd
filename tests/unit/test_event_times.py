"""Events of one unit of work stay in order in time, even at millisecond resolution."""

from datetime import UTC, datetime, timedelta

from shared.contracts.companies import CompanyVerified
from shared.envelope import Envelope
from shared.platform import after_in_time

AT = datetime(2026, 11, 29, 1, 0, 0, 123_456, tzinfo=UTC)


def event_at(moment: datetime) -> Envelope:
    envelope = Envelope.wrap(
        CompanyVerified(company_id="c", version=2, by="admin"), source="test", subject="c"
    )
    return envelope.model_copy(update={"time": moment})


def test_an_event_in_the_same_millisecond_moves_to_the_next_one() -> None:
    later = after_in_time(event_at(AT + timedelta(microseconds=300)), event_at(AT))
    assert later.time == datetime(2026, 11, 29, 1, 0, 0, 124_000, tzinfo=UTC)
    assert b'"2026-11-29T01:00:00.124000Z"' in later.to_bytes()


def test_an_event_a_millisecond_later_keeps_its_time() -> None:
    moment = AT + timedelta(milliseconds=2)
    assert after_in_time(event_at(moment), event_at(AT)).time == moment
