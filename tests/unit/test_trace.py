"""A consumer's follow-up events stay in the conversation that caused them."""

from shared.contracts.companies import CompanyVerified
from shared.envelope import Envelope
from shared.platform import Trace


def test_a_trace_caused_by_an_event_keeps_its_correlation_and_trace() -> None:
    cause = Envelope.wrap(
        CompanyVerified(company_id="c1", version=2, by="admin"),
        source="companies",
        subject="c1",
        correlation_id="corr-1",
    )
    trace = Trace.caused_by(cause)
    assert trace.correlation_id == "corr-1" and trace.actor == "companies"
    follow_up = Envelope.wrap(
        CompanyVerified(company_id="c1", version=3, by="x"),
        source="matching",
        subject="c1",
        correlation_id=trace.correlation_id,
        traceparent=trace.traceparent,
    )
    assert follow_up.traceparent.split("-")[1] == cause.traceparent.split("-")[1]
    assert follow_up.traceparent != cause.traceparent  # a new span in the same trace
