"""W3C trace context: new traces, and child spans that keep their parent's trace."""

import re

import pytest

from shared.tracing import child_traceparent, new_traceparent

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def parts(traceparent: str) -> tuple[str, str, str]:
    match = TRACEPARENT.match(traceparent)
    assert match is not None, traceparent
    trace_id, span_id, flags = match.groups()
    return trace_id, span_id, flags


def test_a_new_trace_is_w3c_formatted_and_sampled() -> None:
    assert parts(new_traceparent())[2] == "01"


def test_new_traces_do_not_repeat() -> None:
    assert parts(new_traceparent())[0] != parts(new_traceparent())[0]


def test_a_child_keeps_the_trace_id_and_flags_with_a_new_span() -> None:
    trace_id, span_id, flags = parts(child_traceparent(PARENT))
    assert (trace_id, flags) == ("4bf92f3577b34da6a3ce929d0e0e4736", "01")
    assert span_id != "00f067aa0ba902b7"


def test_an_unsampled_parent_stays_unsampled() -> None:
    unsampled = PARENT[:-2] + "00"
    assert parts(child_traceparent(unsampled))[2] == "00"


@pytest.mark.parametrize(
    "parent",
    [
        None,
        "",
        "garbage",
        PARENT.upper(),  # W3C requires lower-case hex
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # version ff is invalid
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-" + "0" * 32 + "-00f067aa0ba902b7-01",  # W3C: an all-zero trace id is invalid
        "00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01",  # and so is a zero span
    ],
)
def test_an_absent_or_invalid_parent_starts_a_new_trace(parent: str | None) -> None:
    trace_id, _, _ = parts(child_traceparent(parent))
    assert trace_id not in ("4bf92f3577b34da6a3ce929d0e0e4736", "0" * 32)
